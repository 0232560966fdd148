"""Who is calling: the client address every layer agrees on (throttles, audit log, forms)."""

import ipaddress


def client_ip(request) -> str | None:
    """The caller's address: REMOTE_ADDR, or the right X-Forwarded-For hop behind proxies.

    Whatever the header says must parse as an IP address; anything else falls back to the
    peer address (a forged header must neither crash an audited write nor pick the IP).
    """
    from rest_framework.settings import api_settings

    remote = request.META.get("REMOTE_ADDR") or None
    num_proxies = api_settings.NUM_PROXIES
    xff = request.META.get("HTTP_X_FORWARDED_FOR")
    if num_proxies and xff:
        hops = [hop.strip() for hop in xff.split(",")]
        candidate = hops[-min(num_proxies, len(hops))]
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            return remote
    return remote
