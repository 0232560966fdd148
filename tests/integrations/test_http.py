"""integrations/http.py: the SSRF guard (R-D4) and the outbound limits (R-D5).

No test reaches the internet: names resolve through a stubbed getaddrinfo, and real requests go
to servers this file starts on 127.0.0.1 (with OUTBOUND_ALLOW_LOOPBACK on, as in development).
"""

import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest
import requests
import responses
from django.core.exceptions import ValidationError

from integrations.http import (
    RESPONSE_BODY_CAP,
    DeliveryFailed,
    DestinationRefused,
    HttpResult,
    Timeouts,
    _GuardedHTTPConnection,
    safe_request,
    safe_session,
    url_check,
)

PUBLIC_IP = "93.184.216.34"
FAST = Timeouts(connect=1.0, read=5.0, total=1.5)  # the deadline, not the read timeout, ends it

# Every way of writing a non-public destination the brief names; the loopback setting opens
# exactly the two marked True (never the mapped forms, never a private range).
ADDRESS_MATRIX = [
    ("169.254.169.254", False),
    ("[::1]", True),
    ("127.0.0.1", True),
    ("0x7f.1", False),
    ("2130706433", False),
    ("0177.0.0.1", False),
    ("127.1", False),
    ("[::ffff:127.0.0.1]", False),
    ("[::ffff:7f00:1]", False),
    ("10.0.0.1", False),
    ("100.64.0.1", False),
    ("172.16.5.4", False),
    ("192.168.1.1", False),
    ("[fd00::1]", False),
    ("[fe80::1]", False),
    ("224.0.0.1", False),
    ("255.255.255.255", False),
    ("0.0.0.0", False),  # noqa: S104
    ("192.0.2.1", False),
    ("[64:ff9b::a00:1]", False),
    ("[2002:a00:1::]", False),
    ("[::ffff:0:a00:1]", False),  # IPv4-translated (SIIT) 10.0.0.1
    ("[ff02::1]", False),
    ("localhost", True),
]
HOSTS = [host for host, _ in ADDRESS_MATRIX]


# --- Fixtures ---------------------------------------------------------------------------------


class _Resolver:
    """dns["name"] = [answers], or a list of answer lists (one per lookup, the last repeats)."""

    def __init__(self):
        self.answers: dict[str, list] = {}
        self.calls: list[str] = []

    def __setitem__(self, name, answers):
        self.answers[name] = answers

    def answer(self, host):
        answers = self.answers[host]
        if answers and isinstance(answers[0], list):
            return answers.pop(0) if len(answers) > 1 else answers[0]
        return answers


@pytest.fixture
def dns(monkeypatch):
    """A stub resolver for names (none resolve unless set); literals and localhost resolve as
    usual. ``dns.calls`` lists the names looked up."""
    real = socket.getaddrinfo
    resolver = _Resolver()

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host == "localhost" or host.replace(".", "").isdigit() or ":" in host:
            return real(host, port, family, type, proto, flags)
        resolver.calls.append(host)
        if host not in resolver.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0))
            if ":" in ip
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in resolver.answer(host)
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return resolver


@pytest.fixture
def connects(monkeypatch):
    """Every address a socket connects to (the real connect still happens)."""
    real = socket.socket.connect
    seen: list[str] = []

    def connect(self, address):
        seen.append(address[0])
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return seen


@pytest.fixture
def loopback(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    settings.OUTBOUND_ALLOW_HTTP = True
    return settings


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _trickle(self, data: bytes, interval: float = 0.2) -> None:
        for i in range(len(data)):
            self.wfile.write(data[i : i + 1])
            self.wfile.flush()
            time.sleep(interval)

    def do_GET(self):
        self._handle(b"")

    def do_POST(self):
        self._handle(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def _handle(self, body):
        self.server.seen.append((self.command, self.path, dict(self.headers), body))
        try:
            self._route(body)
        except OSError:  # the client hung up: expected for the truncation and deadline tests
            self.close_connection = True

    def _send(self, status, body, **headers):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self, body):
        if self.path == "/echo":
            self._send(200, b"posted " + str(len(body)).encode())
        elif self.path == "/ok":
            self._send(200, b"hello", X_Answer="42")
        elif self.path == "/redirect":
            self._send(302, b"", Location="/target")
        elif self.path == "/target":
            self._send(200, b"you followed the redirect")
        elif self.path == "/big":
            size = 10 * 1024 * 1024
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            block = b"x" * 65536
            for _ in range(size // len(block)):
                self.wfile.write(block)
        elif self.path == "/slow-body":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.flush()
            self._trickle(b"y" * 100)
        elif self.path == "/slow-headers":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self._trickle(b"X-Slow: " + b"z" * 100)
        else:
            self._send(404, b"")


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


def _serve(context: ssl.SSLContext | None = None):
    server = _Server(("127.0.0.1", 0), _Handler)
    server.seen = []
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture(scope="module")
def server():
    server = _serve()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def base(server, loopback):
    server.seen.clear()
    return f"http://127.0.0.1:{server.server_address[1]}"


def _paths(server):
    return [path for _, path, _, _ in server.seen]


# --- url_check --------------------------------------------------------------------------------


@pytest.mark.parametrize("host", HOSTS)
def test_url_check_refuses_every_non_public_address(host):
    with pytest.raises(ValidationError) as caught:
        url_check(f"https://{host}/hook")
    assert list(caught.value.message_dict) == ["url"]


@pytest.mark.parametrize(("host", "opened"), ADDRESS_MATRIX)
def test_loopback_setting_opens_only_127_8_and_ipv6_loopback(settings, host, opened):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    if opened:
        assert url_check(f"https://{host}:6379/hook").startswith("https://")
    else:
        with pytest.raises(ValidationError):
            url_check(f"https://{host}/hook")


@pytest.mark.parametrize("host", ["0x7f.1", "2130706433", "0177.0.0.1", "127.1", "1.2.3.4."])
def test_non_canonical_numeric_hosts_are_refused_outright(settings, host):
    settings.OUTBOUND_ALLOW_LOOPBACK = True  # not because they are loopback: their form
    with pytest.raises(ValidationError, match="four decimal numbers"):
        url_check(f"https://{host}/", resolve=False)


def test_names_resolving_inside_are_refused_public_ones_allowed(dns):
    dns["inside.example.com"] = ["10.1.2.3"]
    dns["mixed.example.com"] = [PUBLIC_IP, "10.1.2.3"]
    dns["mapped.example.com"] = ["::ffff:10.1.2.3"]
    dns["hooks.example.com"] = [PUBLIC_IP, "2606:2800:220:1::1"]

    for name in ("inside", "mixed", "mapped"):
        with pytest.raises(ValidationError) as caught:
            url_check(f"https://{name}.example.com/hook")
        message = caught.value.message_dict["url"][0]
        assert "resolves to a private network address" in message
        assert "10.1.2.3" not in message  # never reveal what our DNS answers
    assert url_check("https://Hooks.Example.com:443/hook?x=1#frag") == (
        "https://hooks.example.com/hook?x=1"
    )
    with pytest.raises(ValidationError, match="does not resolve"):
        url_check("https://nowhere.example.com/")
    assert (
        url_check("https://nowhere.example.com/", resolve=False) == "https://nowhere.example.com/"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/", "Only https"),
        ("ftp://hooks.example.com/", "Only https"),
        ("file:///etc/passwd", "Only https"),
        ("gopher://hooks.example.com:70/", "Only https"),
        ("https://user:secret@hooks.example.com/", "user name or password"),
        ("https://user@hooks.example.com/", "user name or password"),
        ("https://hooks.example.com:22/", "Port 22 is not allowed"),
        ("https://hooks.example.com:6379/", "Port 6379 is not allowed"),
        ("https://hooks.example.com:99999/", "not a valid URL"),
        ("https://hooks/", "fully qualified"),
        ("https://hooks.example.com\\@127.0.0.1/", "backslashes"),
        ("https://hooks.example.com /", "spaces"),
        ("https://[fe80::1%25eth0]/", "zone"),
        ("https:///path-only", "no host"),
    ],
)
def test_url_check_refuses_scheme_port_userinfo_and_malformed(dns, url, message):
    dns["hooks.example.com"] = [PUBLIC_IP]
    with pytest.raises(ValidationError, match=message):
        url_check(url)


@pytest.mark.parametrize("port", [443, 8443, 80])
def test_url_check_allows_the_listed_ports(dns, port):
    dns["hooks.example.com"] = [PUBLIC_IP]
    assert url_check(f"https://hooks.example.com:{port}/x").startswith("https://hooks.example.com")


def test_http_needs_the_setting_and_ports_follow_the_setting(dns, settings):
    dns["hooks.example.com"] = [PUBLIC_IP]
    settings.OUTBOUND_ALLOW_HTTP = True
    assert url_check("http://hooks.example.com/") == "http://hooks.example.com/"
    settings.OUTBOUND_ALLOWED_PORTS = [443, 9443]
    assert url_check("https://hooks.example.com:9443/") == "https://hooks.example.com:9443/"
    with pytest.raises(ValidationError, match="Port 8443"):
        url_check("https://hooks.example.com:8443/")


def test_url_check_normalises_idna_and_ipv6(dns):
    dns["xn--bcher-kva.example"] = [PUBLIC_IP]
    assert url_check("https://Bücher.example/x") == "https://xn--bcher-kva.example/x"
    assert url_check("HTTPS://[2606:4700:0:0::1]:8443") == "https://[2606:4700::1]:8443/"


# --- safe_request: refusals (nothing is sent) -------------------------------------------------


@pytest.mark.parametrize("host", HOSTS)
def test_safe_request_refuses_every_non_public_address(host, connects):
    with pytest.raises(DestinationRefused) as caught:
        safe_request("POST", f"https://{host}/hook", headers={}, body=b"{}")
    assert caught.value.reason
    assert connects == []


@pytest.mark.parametrize(
    "host", ["0x7f.1", "2130706433", "0177.0.0.1", "127.1", "::ffff:127.0.0.1", "169.254.169.254"]
)
def test_connection_checks_the_resolved_address_whatever_the_host_form(host, connects):
    """Second line of defense, below the URL checks: the connection resolves the host as
    getaddrinfo/inet_aton read it (0x7f.1 is 127.0.0.1 to them) and checks that address."""
    with pytest.raises(DestinationRefused, match=r"loopback|link-local"):
        _GuardedHTTPConnection(host, 80).connect()
    assert connects == []


def test_a_name_resolving_inside_is_refused_at_connect_time(dns, connects):
    dns["inside.example.com"] = ["10.1.2.3"]
    dns["mixed.example.com"] = [PUBLIC_IP, "10.1.2.3"]
    for name in ("inside.example.com", "mixed.example.com"):
        with pytest.raises(DestinationRefused) as caught:
            safe_request("POST", f"https://{name}/hook", headers={}, body=b"{}")
        assert caught.value.address == "10.1.2.3"
    assert connects == []  # not even to the public address of the mixed answer


def test_dns_rebinding_after_the_save_time_check_is_caught(dns, connects):
    """url_check saw a public address; by send time the name points inside. The connection
    resolves once and connects to what it checked, so the second answer is what is refused."""
    dns["rebind.example.com"] = [[PUBLIC_IP], ["169.254.169.254"]]
    assert url_check("https://rebind.example.com/hook") == "https://rebind.example.com/hook"
    with pytest.raises(DestinationRefused, match="link-local"):
        safe_request("POST", "https://rebind.example.com/hook", headers={}, body=None)
    assert connects == []


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/",
        "ftp://hooks.example.com/",
        "https://user:pw@hooks.example.com/",
        "https://hooks.example.com:25/",
    ],
)
def test_safe_request_refuses_scheme_userinfo_port_before_connecting(dns, connects, url):
    dns["hooks.example.com"] = [PUBLIC_IP]
    with pytest.raises(DestinationRefused):
        safe_request("POST", url, headers={}, body=b"{}")
    assert connects == []
    assert dns.calls == []


def test_body_over_the_cap_is_refused_before_any_connection(base, server, settings, connects):
    settings.OUTBOUND_MAX_BODY_BYTES = 1000
    with pytest.raises(ValueError, match="1001 bytes"):
        safe_request("POST", f"{base}/echo", headers={}, body=b"x" * 1001)
    assert connects == []
    assert server.seen == []
    result = safe_request("POST", f"{base}/echo", headers={}, body=b"x" * 1000)
    assert result.body == b"posted 1000"


def test_default_body_cap_is_256_kib(connects):
    with pytest.raises(ValueError, match="262144-byte cap"):
        safe_request("POST", "https://hooks.example.com/", headers={}, body=b"x" * (256 * 1024 + 1))
    assert connects == []


# --- safe_request against a real local server -------------------------------------------------


def test_loopback_needs_the_setting(server, settings, connects):
    settings.OUTBOUND_ALLOW_HTTP = True
    url = f"http://127.0.0.1:{server.server_address[1]}/ok"
    with pytest.raises(DestinationRefused, match="loopback"):
        safe_request("GET", url, headers={}, body=None)
    assert connects == []
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    assert safe_request("GET", url, headers={}, body=None).status == 200


def test_200_with_body(base, server):
    result = safe_request(
        "POST", f"{base}/echo", headers={"Content-Type": "application/json"}, body=b'{"a":1}'
    )
    assert result == HttpResult(
        status=200,
        headers=result.headers,
        body=b"posted 7",
        truncated=False,
        elapsed_ms=result.elapsed_ms,
    )
    assert result.headers["content-length"] == "8"
    assert all(name == name.lower() for name in result.headers)
    _, _, sent_headers, sent_body = server.seen[-1]
    assert sent_body == b'{"a":1}'
    assert sent_headers["Content-Type"] == "application/json"
    assert sent_headers["Accept-Encoding"] == "identity"
    assert sent_headers["User-Agent"] == "Tenantdesk"

    ok = safe_request("GET", f"{base}/ok", headers={}, body=None)
    assert (ok.status, ok.body, ok.headers["x-answer"]) == (200, b"hello", "42")


def test_a_name_resolving_to_an_allowed_address_connects_there_with_its_host_name(
    dns, connects, server, loopback
):
    dns["receiver.example.com"] = ["127.0.0.1"]
    port = server.server_address[1]
    result = safe_request("GET", f"http://receiver.example.com:{port}/ok", headers={}, body=None)
    assert result.status == 200
    assert dns.calls == ["receiver.example.com"]  # one resolution: the one that was checked
    assert connects == ["127.0.0.1"]
    assert server.seen[-1][2]["Host"] == f"receiver.example.com:{port}"


def test_a_redirect_is_returned_not_followed(base, server):
    result = safe_request("POST", f"{base}/redirect", headers={}, body=b"{}")
    assert result.status == 302
    assert result.headers["location"] == "/target"
    assert "/target" not in _paths(server)

    response = safe_session().get(f"{base}/redirect", allow_redirects=True)
    assert response.status_code == 302
    assert "/target" not in _paths(server)


def test_a_10_mb_response_is_read_up_to_64_kib(base):
    started = time.monotonic()
    result = safe_request("GET", f"{base}/big", headers={}, body=None)
    assert result.status == 200
    assert result.truncated is True
    assert len(result.body) == RESPONSE_BODY_CAP == 64 * 1024
    assert time.monotonic() - started < 2

    small = safe_request("GET", f"{base}/ok", headers={}, body=None)
    assert small.truncated is False


@pytest.mark.parametrize("path", ["/slow-body", "/slow-headers"])
def test_a_slow_loris_fails_at_the_total_deadline(base, path):
    """A byte every 0.2 s never trips the 5 s read timeout; the 1.5 s deadline ends it."""
    started = time.monotonic()
    with pytest.raises(DeliveryFailed) as caught:
        safe_request("GET", f"{base}{path}", headers={}, body=None, timeout=FAST)
    took = time.monotonic() - started
    assert caught.value.reason == "timeout"
    assert 1.4 <= took < 2.5
    assert 1400 <= caught.value.elapsed_ms < 2500


def test_safe_session_has_a_total_deadline_too(base):
    session = safe_session()
    session.deadline = 1.0
    started = time.monotonic()
    with pytest.raises(requests.Timeout, match="deadline"):
        session.get(f"{base}/slow-body")
    assert time.monotonic() - started < 2
    assert session.get(f"{base}/ok").content == b"hello"  # a fast one is unaffected


def test_connection_refused(loopback):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DeliveryFailed) as caught:
        safe_request("POST", f"http://127.0.0.1:{port}/hook", headers={}, body=b"{}")
    assert caught.value.reason == "connection refused"
    assert caught.value.elapsed_ms < 1000


def test_name_that_does_not_resolve_fails_delivery(dns, loopback):
    with pytest.raises(DeliveryFailed, match="DNS error"):
        safe_request("GET", "https://gone.example.com/", headers={}, body=None)


def test_environment_proxies_are_ignored_and_explicit_ones_refused(base, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    assert safe_request("GET", f"{base}/ok", headers={}, body=None).status == 200
    with pytest.raises(DestinationRefused, match="proxies"):
        safe_session().get(f"{base}/ok", proxies={"http": "http://127.0.0.1:9"})


def test_tls_verification_cannot_be_turned_off(base):
    with pytest.raises(ValueError, match="TLS verification"):
        safe_session().get(f"{base}/ok", verify=False)


# --- TLS: the connection goes to the checked address, the certificate is checked for the name -


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    arguments = [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost",
    ]
    subprocess.run(  # noqa: S603
        [openssl, *arguments, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = _serve(context)
    yield server, str(cert)
    server.shutdown()
    server.server_close()


def test_tls_verifies_the_host_name_not_the_address(tls_server, loopback, connects):
    server, ca = tls_server
    port = server.server_address[1]
    # The certificate names localhost only: it verifies through the name (SNI + hostname check
    # use it) although the socket connects to the checked address 127.0.0.1 …
    assert safe_session().get(f"https://localhost:{port}/ok", verify=ca).content == b"hello"
    assert "127.0.0.1" in connects
    # … and fails for a URL naming the address, which the certificate does not cover.
    with pytest.raises(requests.exceptions.SSLError):
        safe_session().get(f"https://127.0.0.1:{port}/ok", verify=ca)
    # Without our CA the self-signed certificate is not trusted: verification is on.
    with pytest.raises(DeliveryFailed) as caught:
        safe_request("GET", f"https://localhost:{port}/ok", headers={}, body=None)
    assert caught.value.reason.startswith("TLS error: ")
    assert "certificate" in caught.value.reason


# --- The `responses` mock still intercepts, behind the guard ----------------------------------


def test_responses_intercepts_safe_session_and_safe_request_behind_the_guard(connects):
    with responses.RequestsMock() as mock:
        mock.post("https://crm.example.com/api/contacts", json={"id": 7}, status=201)
        mock.post("https://hooks.example.com/moved", status=301, headers={"Location": "/x"})
        response = safe_session().post("https://crm.example.com/api/contacts", json={"n": 1})
        assert (response.status_code, response.json()) == (201, {"id": 7})

        result = safe_request("POST", "https://hooks.example.com/moved", headers={}, body=b"{}")
        assert (result.status, result.headers["location"]) == (301, "/x")
        assert len(mock.calls) == 2  # the redirect was not followed

        # The URL checks run before the mock answers.
        with pytest.raises(DestinationRefused):
            safe_session().post("https://user:pw@crm.example.com/api/contacts")
        with pytest.raises(DestinationRefused):
            safe_session().post("https://169.254.169.254/latest/meta-data/")
        assert len(mock.calls) == 2
    assert connects == []
