"""The one outbound HTTP path: webhook deliveries and CRM sync (research/reliability.md §1.5,
§1.6, R-D4, R-D5).

Every request to a URL a tenant typed goes through here, because that URL is an SSRF vector:
it can name (or resolve to) cloud metadata (169.254.169.254), PostgreSQL, Redis, or anything
else on our network.

- ``url_check`` validates at save time (scheme, port, no userinfo, a host that resolves to
  public addresses only) and returns the normalised URL, or raises a ValidationError.
- ``safe_session`` is a ``requests.Session`` whose connections resolve the host themselves,
  check every address the resolver answered and connect to the checked address: the check
  happens AT CONNECT TIME, on the address the socket opens, so DNS rebinding between a check
  and the connect is impossible (there is no second resolution). If any answer is not public,
  the whole host is refused (Sentry's rule: a name straddling public and private addresses is
  suspicious). TLS still verifies the certificate against the host name (SNI too): only the
  TCP connect uses the address. Redirects are never followed, proxies from the environment are
  never used, TLS verification cannot be turned off.
- ``safe_request`` is one request with the R-D5 limits: connect 5 s, read 10 s, a total
  deadline of 15 s that also ends a server trickling its headers or body byte by byte, a
  request body cap (OUTBOUND_MAX_BODY_BYTES) and a response read cap (64 KiB; the rest is never
  read). A refused destination raises DestinationRefused, a failure to get a response raises
  DeliveryFailed, any response (3xx, 4xx, 5xx included) is an HttpResult.

Settings, read at call time (README "Environment"): OUTBOUND_ALLOW_HTTP, OUTBOUND_ALLOW_LOOPBACK,
OUTBOUND_ALLOWED_PORTS, OUTBOUND_MAX_BODY_BYTES.
"""

from __future__ import annotations

import contextlib
import contextvars
import http.client
import ipaddress
import os
import re
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import idna
import requests
import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family
from urllib3.util.timeout import _DEFAULT_TIMEOUT

__all__ = [
    "DEFAULT_TIMEOUTS",
    "RESPONSE_BODY_CAP",
    "DeliveryFailed",
    "DestinationRefused",
    "HttpResult",
    "Timeouts",
    "safe_request",
    "safe_session",
    "url_check",
]

RESPONSE_BODY_CAP = 64 * 1024
DEFAULT_MAX_BODY_BYTES = 256 * 1024
DEFAULT_ALLOWED_PORTS = (443, 8443, 80)
MAX_URL_LENGTH = 2048
USER_AGENT = "Tenantdesk"


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0  # DNS resolution, then each TCP connect (seconds)
    read: float = 10.0  # the longest wait for any one read from the server
    total: float = 15.0  # the whole request, from resolving to the last body byte read


DEFAULT_TIMEOUTS = Timeouts()


class DestinationRefused(Exception):
    """The SSRF guard refused the destination. ``reason`` is safe to show the tenant: it never
    contains an address the host resolved to (that would reveal our internal DNS); ``address``
    does, for logs."""

    def __init__(self, reason: str, *, code: str = "refused", address: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.address = address


class DeliveryFailed(Exception):
    """No response: ``reason`` is short and tenant-safe ("timeout", "connection refused",
    "TLS error: …", "DNS error: …", "connection reset", "connection closed early",
    "connection failed"); ``elapsed_ms`` is how long the attempt took."""

    def __init__(self, reason: str, *, elapsed_ms: int):
        super().__init__(reason)
        self.reason = reason
        self.elapsed_ms = elapsed_ms


@dataclass(frozen=True)
class HttpResult:
    status: int
    headers: dict[str, str]  # lowercased names; repeated headers joined with ", "
    body: bytes  # at most RESPONSE_BODY_CAP bytes; the rest was never read
    truncated: bool
    elapsed_ms: int


# --- Policy (settings read at call time) ------------------------------------------------------


def _allow_http() -> bool:
    return bool(getattr(settings, "OUTBOUND_ALLOW_HTTP", False))


def _allow_loopback() -> bool:
    return bool(getattr(settings, "OUTBOUND_ALLOW_LOOPBACK", False))


def _allowed_ports() -> tuple[int, ...]:
    return tuple(int(p) for p in getattr(settings, "OUTBOUND_ALLOWED_PORTS", DEFAULT_ALLOWED_PORTS))


def _max_body_bytes() -> int:
    return int(getattr(settings, "OUTBOUND_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Everything here is refused even where ipaddress calls it global (224/4, 64:ff9b::/96, 2002::/16
# are is_global on Python 3.11). The list is Sentry's SENTRY_DISALLOWED_IPS plus the IANA
# special-purpose registries, v4 and v6.
_LOOPBACK = "a loopback address"
_PRIVATE = "a private network address"
_LINK_LOCAL = "a link-local address (cloud metadata lives there)"
_SPECIAL = "a reserved or special-purpose address"
_MULTICAST = "a multicast or broadcast address"
_TUNNEL = "an address that embeds another IPv4 address (NAT64, 6to4, Teredo)"
_BLOCKED_NETWORKS: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.ip_network(net), kind)
    for net, kind in (
        ("0.0.0.0/8", _SPECIAL),  # "this network"
        ("10.0.0.0/8", _PRIVATE),
        ("100.64.0.0/10", _PRIVATE),  # carrier-grade NAT (shared address space)
        ("127.0.0.0/8", _LOOPBACK),
        ("169.254.0.0/16", _LINK_LOCAL),
        ("172.16.0.0/12", _PRIVATE),
        ("192.0.0.0/24", _SPECIAL),  # IETF protocol assignments
        ("192.0.2.0/24", _SPECIAL),  # documentation (TEST-NET-1)
        ("192.88.99.0/24", _TUNNEL),  # 6to4 relay anycast
        ("192.168.0.0/16", _PRIVATE),
        ("198.18.0.0/15", _SPECIAL),  # benchmarking
        ("198.51.100.0/24", _SPECIAL),  # documentation (TEST-NET-2)
        ("203.0.113.0/24", _SPECIAL),  # documentation (TEST-NET-3)
        ("224.0.0.0/4", _MULTICAST),
        ("240.0.0.0/4", _SPECIAL),  # reserved, includes 255.255.255.255 (broadcast)
        ("::/128", _SPECIAL),  # unspecified
        ("::1/128", _LOOPBACK),
        ("::/96", _TUNNEL),  # IPv4-compatible (deprecated)
        ("::ffff:0:0/96", _TUNNEL),  # IPv4-mapped
        ("::ffff:0:0:0/96", _TUNNEL),  # IPv4-translated (SIIT, RFC 6052 §2.1 / RFC 7915)
        ("64:ff9b::/96", _TUNNEL),  # NAT64 well-known prefix
        ("64:ff9b:1::/48", _TUNNEL),  # NAT64 local use
        ("100::/64", _SPECIAL),  # discard-only
        ("2001::/23", _SPECIAL),  # IETF protocol assignments
        ("2001::/32", _TUNNEL),  # Teredo
        ("2001:db8::/32", _SPECIAL),  # documentation
        ("2002::/16", _TUNNEL),  # 6to4
        ("3fff::/20", _SPECIAL),  # documentation (RFC 9637)
        ("5f00::/16", _SPECIAL),  # SRv6 SIDs
        ("fc00::/7", _PRIVATE),  # unique local addresses
        ("fe80::/10", _LINK_LOCAL),
        ("fec0::/10", _PRIVATE),  # site-local (deprecated)
        ("ff00::/8", _MULTICAST),
    )
)
# OUTBOUND_ALLOW_LOOPBACK opens exactly these (never ::ffff:127.0.0.1, never a private range).
_ALLOWED_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def _is_loopback_allowed(ip: IPAddress) -> bool:
    return _allow_loopback() and any(
        ip.version == net.version and ip in net for net in _ALLOWED_LOOPBACK
    )


def _address_refusal(ip: IPAddress) -> str | None:
    """What kind of non-public address ``ip`` is, or None when it may be connected to."""
    if _is_loopback_allowed(ip):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            # Refused whatever it embeds; say what it points at when that is worse.
            inner = _address_refusal(embedded) if not _is_loopback_allowed(embedded) else None
            return inner or _TUNNEL
    for net, kind in _BLOCKED_NETWORKS:
        if ip.version == net.version and ip in net:
            return kind
    if ip.is_loopback:
        return _LOOPBACK
    if ip.is_link_local:
        return _LINK_LOCAL
    if ip.is_multicast:
        return _MULTICAST
    if ip.is_private:
        return _PRIVATE
    if ip.is_unspecified or ip.is_reserved or not ip.is_global:
        return _SPECIAL
    return None


def _check_addresses(host: str, addresses: list[IPAddress], *, literal: bool) -> None:
    """Refuse the host when ANY of its addresses is not public."""
    if not addresses:
        raise DestinationRefused(f"{host} has no address.", code="dns")
    for ip in addresses:
        kind = _address_refusal(ip)
        if kind is not None:
            subject = f"{host} is" if literal else f"{host} resolves to"
            raise DestinationRefused(
                f"{subject} {kind}; only public internet addresses are allowed.",
                code="address",
                address=str(ip),
            )


def _check_port(port: int, addresses: list[IPAddress] | None) -> None:
    """A port from OUTBOUND_ALLOWED_PORTS, or any port for a loopback destination that
    OUTBOUND_ALLOW_LOOPBACK allows (local receivers run on 8000, 3000, ephemeral ports)."""
    allowed = _allowed_ports()
    if port in allowed:
        return
    if addresses and all(_is_loopback_allowed(ip) for ip in addresses):
        return
    ports = ", ".join(str(p) for p in allowed)
    raise DestinationRefused(f"Port {port} is not allowed; use one of {ports}.", code="port")


# --- URL parsing --------------------------------------------------------------------------------

_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
_FORBIDDEN_URL_CHARS = re.compile(r"[\x00-\x20\x7f\\]")


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # lowercase ASCII name, dotted quad, or compressed IPv6 (no brackets)
    ip: IPAddress | None  # set when the URL names an address
    port: int
    url: str  # normalised


def _ends_in_number(host: str) -> bool:
    """The WHATWG URL rule: a host whose last label is a number (decimal or 0x hex) is an IPv4
    address to browsers, inet_aton and getaddrinfo alike, whatever its form (127.1, 0x7f.1,
    2130706433, 0177.0.0.1)."""
    labels = host.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()
    last = labels[-1]
    return (last.isascii() and last.isdigit()) or re.fullmatch(r"0x[0-9a-f]*", last) is not None


def _parse(url: str) -> _Target:
    """Syntax and scheme checks, no resolution. Raises DestinationRefused."""
    if not isinstance(url, str) or not url:
        raise DestinationRefused("Enter a URL.", code="invalid")
    if len(url) > MAX_URL_LENGTH:
        raise DestinationRefused(
            f"URLs are limited to {MAX_URL_LENGTH} characters.", code="invalid"
        )
    if _FORBIDDEN_URL_CHARS.search(url):
        raise DestinationRefused(
            "The URL contains spaces, control characters or backslashes.", code="invalid"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DestinationRefused(
            "This is not a valid URL (check the host and port).", code="invalid"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or (scheme == "http" and not _allow_http()):
        allowed = "http and https" if _allow_http() else "https"
        raise DestinationRefused(f"Only {allowed} URLs are allowed.", code="scheme")
    if "@" in parts.netloc:
        raise DestinationRefused(
            "The URL must not contain a user name or password; send credentials in a header.",
            code="userinfo",
        )
    hostname = parts.hostname
    if not hostname:
        raise DestinationRefused("The URL has no host.", code="invalid")

    ip: IPAddress | None = None
    if parts.netloc.startswith("["):
        if "%" in hostname:
            raise DestinationRefused("IPv6 zone identifiers are not allowed.", code="host")
        try:
            ip = ipaddress.IPv6Address(hostname)
        except ValueError:
            raise DestinationRefused("The IPv6 address is not valid.", code="host") from None
        host = str(ip)
        url_host = f"[{host}]"
    elif _ends_in_number(hostname):
        if not _CANONICAL_IPV4.fullmatch(hostname):
            raise DestinationRefused(
                "Write an IPv4 address as four decimal numbers (a.b.c.d).", code="host"
            )
        ip = ipaddress.IPv4Address(hostname)
        host = url_host = hostname
    else:
        try:
            host = hostname if hostname.isascii() else idna.encode(hostname, uts46=True).decode()
        except idna.IDNAError:
            raise DestinationRefused("The host name is not valid.", code="host") from None
        labels = host.removesuffix(".").split(".")
        if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
            raise DestinationRefused("The host name is not valid.", code="host")
        if labels[-1] == "localhost":  # RFC 6761: loopback, whatever a resolver says
            if not _allow_loopback():
                raise DestinationRefused(
                    f"{host} is {_LOOPBACK}; only public internet addresses are allowed.",
                    code="address",
                )
        elif len(labels) < 2:
            raise DestinationRefused(
                "Use a fully qualified host name (e.g. hooks.example.com).", code="host"
            )
        url_host = host

    default_port = 443 if scheme == "https" else 80
    if port == 0:
        raise DestinationRefused("Port 0 is not allowed.", code="port")
    # A second, independent parser must read the same destination (parser differentials are
    # a classic SSRF bypass: "https://a.com\@127.0.0.1/").
    try:
        other = urllib3.util.parse_url(url)
    except urllib3.exceptions.LocationParseError:
        raise DestinationRefused("This is not a valid URL.", code="invalid") from None
    other_host = (other.host or "").strip("[]").lower()
    if ip is not None:
        try:
            same_host = ipaddress.ip_address(other_host) == ip
        except ValueError:
            same_host = False
    else:
        same_host = other_host in (host, hostname)
    if other.auth is not None or other.port != port or not same_host:
        raise DestinationRefused("This URL is ambiguous; write it plainly.", code="invalid")

    netloc = url_host if port in (None, default_port) else f"{url_host}:{port}"
    normalised = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    return _Target(scheme=scheme, host=host, ip=ip, port=port or default_port, url=normalised)


# --- Resolution ---------------------------------------------------------------------------------

_AddrInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, tuple]


def _resolve(host: str, port: int, timeout: float | None) -> list[_AddrInfo]:
    """getaddrinfo with a timeout (the resolver's own can be 10-30 s, and the domain's owner
    controls how slowly its name server answers). A literal address needs no DNS."""

    def lookup() -> list[_AddrInfo]:
        return socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)

    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return lookup()
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["answer"] = lookup()
        except Exception as exc:
            box["error"] = exc

    thread = threading.Thread(target=run, name="outbound-dns", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"resolving {host} took longer than {timeout} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["answer"]  # type: ignore[return-value]


def _addresses(infos: list[_AddrInfo]) -> list[IPAddress]:
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


# --- Total deadline -----------------------------------------------------------------------------


class _Deadline:
    """A wall-clock limit on a whole request. Read timeouts bound each wait, not the sum: a
    server sending a byte every few seconds never trips them. At the deadline a timer shuts
    down every socket the request uses, so a blocked read returns at once; ``expired`` tells
    the caller that what it read (possibly an EOF that looks like a clean end) is void.

    Sockets are watched through a duplicate descriptor (ours to close, so a timer can never
    shut a recycled descriptor); shutdown acts on the connection behind both, TLS included."""

    def __init__(self, seconds: float):
        self.expires_at = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._watched: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def remaining(self) -> float:
        return self.expires_at - time.monotonic()

    def bound(self, timeout: float | None) -> float:
        remaining = self.remaining()
        if remaining <= 0:
            raise TimeoutError("the request's total deadline passed")
        return remaining if timeout is None else min(timeout, remaining)

    def watch(self, sock: socket.socket) -> None:
        dup = socket.socket(sock.family, sock.type, sock.proto, fileno=os.dup(sock.fileno()))
        with self._lock:
            self._watched.append(dup)
            if self.expired:
                _shutdown(dup)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._watched:
                _shutdown(sock)

    def start(self) -> None:
        self._timer.start()

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._watched:
                sock.close()
            self._watched.clear()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


_current_deadline: contextvars.ContextVar[_Deadline | None] = contextvars.ContextVar(
    "outbound_deadline", default=None
)


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[_Deadline]:
    deadline = _Deadline(seconds)
    token = _current_deadline.set(deadline)
    deadline.start()
    try:
        yield deadline
    finally:
        _current_deadline.reset(token)
        deadline.close()


# --- Connections that check where they connect ----------------------------------------------------


class _GuardedConnectionMixin:
    """Replaces urllib3's _new_conn: resolve once, check every answer, connect to a checked
    address. http.client/urllib3 keep using the host name for the Host header, SNI and
    certificate verification."""

    host: str
    port: int
    timeout: float | None
    source_address: tuple[str, int] | None
    socket_options: list | None
    sock: socket.socket | None
    _dns_host: str

    def _new_conn(self) -> socket.socket:
        deadline = _current_deadline.get()
        timeout = self.timeout
        if timeout is _DEFAULT_TIMEOUT:
            timeout = socket.getdefaulttimeout()
        host = self._dns_host.strip("[]")
        try:
            infos = _resolve(host, self.port, deadline.bound(timeout) if deadline else timeout)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"Resolving {self.host} timed out.") from exc
        addresses = _addresses(infos)
        literal = _is_ip(host)
        _check_addresses(self.host, addresses, literal=literal)
        _check_port(self.port, addresses)

        error: OSError | None = None
        for family, kind, proto, _canonname, sockaddr in infos:
            sock = None
            try:
                sock = socket.socket(family, kind, proto)
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                if deadline is not None:
                    sock.settimeout(deadline.bound(timeout))
                elif timeout is not None:
                    sock.settimeout(timeout)
                if self.source_address:
                    sock.bind(self.source_address)
                sock.connect(sockaddr)  # the address checked above: no second resolution
            except OSError as exc:
                error = exc
                if sock is not None:
                    sock.close()
                continue
            if deadline is not None:
                deadline.watch(sock)
            sys.audit("http.client.connect", self, self.host, self.port)
            return sock
        if isinstance(error, TimeoutError):
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={timeout})"
            ) from error
        raise NewConnectionError(  # type: ignore[arg-type]
            self, f"Failed to establish a new connection: {error}"
        ) from error

    def request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        # A kept-alive connection does not pass through _new_conn: watch it for this request.
        deadline = _current_deadline.get()
        if deadline is not None and self.sock is not None:
            deadline.watch(self.sock)
        return super().request(*args, **kwargs)  # type: ignore[misc]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    """Checks the URL before anything else (also under the `responses` mock, which replaces
    HTTPAdapter.send: our checks run, then the mock answers), and opens only guarded pools."""

    def init_poolmanager(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPConnectionPool,
            "https": _GuardedHTTPSConnectionPool,
        }

    def proxy_manager_for(self, proxy, **proxy_kwargs):  # type: ignore[no-untyped-def]
        # A proxy's connection would be the one checked, not the destination's.
        raise DestinationRefused("Outbound requests do not go through proxies.", code="proxy")

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):  # type: ignore[no-untyped-def]
        if proxies and any(proxies.values()):
            raise DestinationRefused("Outbound requests do not go through proxies.", code="proxy")
        if verify is False:
            raise ValueError("TLS verification cannot be turned off for outbound requests.")
        target = _parse(request.url)
        if target.ip is not None:
            _check_addresses(target.host, [target.ip], literal=True)
            _check_port(target.port, [target.ip])
        elif not _allow_loopback():
            _check_port(target.port, None)
        return super().send(
            request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies
        )


class _SafeSession(requests.Session):
    """requests.Session through _GuardedAdapter. Redirects are never followed (a 3xx is the
    response), environment proxies and .netrc are ignored (trust_env off), default timeouts
    are DEFAULT_TIMEOUTS' connect/read. ``deadline`` (seconds) bounds each send() as a whole,
    including reading the body unless stream=True (then the caller reads it: bound it
    yourself, as safe_request does)."""

    def __init__(self, deadline: float | None = DEFAULT_TIMEOUTS.total):
        super().__init__()
        self.trust_env = False
        self.deadline = deadline
        self.headers["User-Agent"] = USER_AGENT
        self.adapters.clear()
        adapter = _GuardedAdapter(max_retries=0)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["allow_redirects"] = False
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = (DEFAULT_TIMEOUTS.connect, DEFAULT_TIMEOUTS.read)
        if self.deadline is None:
            return super().send(request, **kwargs)
        with _deadline(self.deadline) as deadline:
            try:
                response = super().send(request, **kwargs)
            except requests.RequestException as exc:
                if deadline.expired:
                    raise requests.Timeout(f"total deadline of {self.deadline} s passed") from exc
                raise
            if deadline.expired:
                response.close()
                raise requests.Timeout(f"total deadline of {self.deadline} s passed")
            return response


def safe_session() -> requests.Session:
    """A session for CRM clients: every connection is checked at connect time (see module
    doc), redirects are never followed, total deadline DEFAULT_TIMEOUTS.total per call.
    Raises DestinationRefused for a refused destination, requests exceptions otherwise."""
    return _SafeSession()


# --- Public API ---------------------------------------------------------------------------------


def url_check(url: str, *, resolve: bool = True) -> str:
    """Save-time validation of a tenant's URL: returns it normalised (lowercase scheme and
    host, IDNA host, default port and fragment dropped) or raises
    ValidationError({"url": [message]}). ``resolve`` also resolves the host now and refuses it
    when any address is not public (sends check again at connect time regardless)."""
    try:
        target = _parse(url)
        addresses: list[IPAddress] | None
        if target.ip is not None:
            addresses = [target.ip]
        elif resolve:
            try:
                infos = _resolve(target.host, target.port, DEFAULT_TIMEOUTS.connect)
            except TimeoutError:
                raise DestinationRefused(
                    f"{target.host} could not be resolved in time; try again.", code="dns"
                ) from None
            except OSError:
                raise DestinationRefused(f"{target.host} does not resolve.", code="dns") from None
            addresses = _addresses(infos)
        else:
            addresses = None
        if addresses is not None:
            _check_addresses(target.host, addresses, literal=target.ip is not None)
        elif target.host.removesuffix(".").split(".")[-1] == "localhost":
            addresses = [ipaddress.ip_address("127.0.0.1")]  # allowed, or _parse refused it
        _check_port(target.port, addresses)
    except DestinationRefused as exc:
        raise ValidationError({"url": [ValidationError(exc.reason, code=exc.code)]}) from None
    return target.url


def safe_request(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: bytes | None,
    timeout: Timeouts = DEFAULT_TIMEOUTS,
) -> HttpResult:
    """One request under every guard and limit. Raises ValueError (body over
    OUTBOUND_MAX_BODY_BYTES, nothing sent), DestinationRefused (nothing sent) or
    DeliveryFailed (no complete response within the limits)."""
    limit = _max_body_bytes()
    if body is not None and len(body) > limit:
        raise ValueError(f"Request body of {len(body)} bytes is over the {limit}-byte cap.")
    _parse(url)  # refuse the obvious before starting any timer or thread
    started = time.monotonic()

    def elapsed_ms() -> int:
        return int((time.monotonic() - started) * 1000)

    request_headers = {"Accept-Encoding": "identity", **headers}
    with _SafeSession(deadline=None) as session, _deadline(timeout.total) as deadline:
        try:
            response = session.request(
                method,
                url,
                headers=request_headers,
                data=body,
                timeout=(timeout.connect, timeout.read),
                stream=True,
            )
            try:
                chunks: list[bytes] = []
                size = 0
                while size <= RESPONSE_BODY_CAP:
                    chunk = response.raw.read(RESPONSE_BODY_CAP + 1 - size, decode_content=True)
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
            finally:
                response.close()  # closes the connection: the rest is never read
        except DestinationRefused:
            raise
        except (
            requests.RequestException,
            urllib3.exceptions.HTTPError,
            OSError,
            http.client.HTTPException,
        ) as exc:
            reason = "timeout" if deadline.expired else _failure_reason(exc)
            raise DeliveryFailed(reason, elapsed_ms=elapsed_ms()) from exc
        if deadline.expired:
            raise DeliveryFailed("timeout", elapsed_ms=elapsed_ms())
    data = b"".join(chunks)
    return HttpResult(
        status=response.status_code,
        headers={name.lower(): value for name, value in response.headers.items()},
        body=data[:RESPONSE_BODY_CAP],
        truncated=len(data) > RESPONSE_BODY_CAP,
        elapsed_ms=elapsed_ms(),
    )


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception, what it wraps (requests -> urllib3 MaxRetryError.reason -> OSError)."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop(0)
        if current is None or any(current is s for s in seen) or len(seen) > 20:
            continue
        seen.append(current)
        pending.extend(
            [
                current.__cause__,
                current.__context__,
                getattr(current, "reason", None)
                if isinstance(getattr(current, "reason", None), BaseException)
                else None,
            ]
        )
        pending.extend(a for a in current.args if isinstance(a, BaseException))
    return seen


def _failure_reason(exc: BaseException) -> str:
    chain = _causes(exc)

    def has(*types: type[BaseException]) -> BaseException | None:
        return next((e for e in chain if isinstance(e, types)), None)

    if has(NameResolutionError, socket.gaierror):
        return "DNS error: the host name does not resolve"
    if has(ConnectionRefusedError):
        return "connection refused"
    tls = has(ssl.SSLError, urllib3.exceptions.SSLError, requests.exceptions.SSLError)
    if tls is not None:
        cert = has(ssl.SSLCertVerificationError)
        detail = (
            getattr(cert, "verify_message", None)
            or getattr(has(ssl.SSLError), "reason", None)
            or "handshake failed"
        )
        return f"TLS error: {detail}"
    if has(ConnectionResetError, BrokenPipeError):
        return "connection reset"
    # urllib3's NewConnectionError subclasses ConnectTimeoutError (history): not a timeout.
    if any(
        isinstance(e, requests.Timeout | urllib3.exceptions.TimeoutError | TimeoutError)
        and not isinstance(e, NewConnectionError)
        for e in chain
    ):
        return "timeout"
    if has(
        http.client.RemoteDisconnected,
        http.client.IncompleteRead,
        urllib3.exceptions.ProtocolError,
    ):
        return "connection closed early"
    return "connection failed"
