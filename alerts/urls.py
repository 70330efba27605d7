"""Validation of webhook endpoint URLs against hostile or mistyped input.

Two checks, both raising :class:`alerts.errors.InvalidEndpoint` with a message that says how to fix the URL:

* :func:`validate_endpoint_url` — syntax, at configuration time: ``http``/``https`` only, a host present, no
  user-info (credentials in URLs end up in logs and proxies: put the shared secret in ``secret`` instead), no
  whitespace or control characters (header-injection and request-smuggling vectors), a port in 1–65535, and — unless
  ``allow_private_networks`` is set — no literal loopback / private / link-local / reserved address and no
  ``localhost`` name.
* :func:`check_resolved_addresses` — at delivery time, the addresses the host name resolves to, so that a public name
  pointing at ``127.0.0.1`` or ``169.254.169.254`` (cloud metadata) is refused as well (server-side request forgery).
  A name re-pointed between this check and the connection (DNS rebinding) is not covered; deployments that need that
  guarantee should send webhooks through an egress proxy.

``allow_private_networks`` exists for tests and lab setups whose receivers run on loopback or a private LAN.
"""

from __future__ import annotations

import ipaddress
import socket
import unicodedata
from urllib.parse import SplitResult, urlsplit

from alerts.errors import InvalidEndpoint

ALLOWED_SCHEMES = ("http", "https")


def redact_url(url: str) -> str:
    """The URL with any user-info replaced by ``***`` (safe to log or show in an error message)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if "@" not in parts.netloc:
        return url
    host_port = parts.netloc.rsplit("@", 1)[1]
    return SplitResult(parts.scheme, f"***@{host_port}", parts.path, parts.query, parts.fragment).geturl()


def _is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def validate_endpoint_url(url: str, *, allow_private_networks: bool = False, name: str = "endpoint") -> str:
    """Return ``url`` unchanged when it is an acceptable webhook target, else raise :class:`InvalidEndpoint`.

    ``name`` is the endpoint's configured name, used in the message.
    """
    shown = redact_url(url) if isinstance(url, str) else repr(url)
    prefix = f"alerts endpoint {name!r}: url {shown!r}"
    if not isinstance(url, str) or not url:
        raise InvalidEndpoint(f"{prefix} is empty: give a full URL such as https://dispatch.example.org/hooks/fire")
    bad_chars = [ch for ch in url if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")]
    if bad_chars:
        raise InvalidEndpoint(f"{prefix} contains whitespace or control characters {bad_chars!r}: remove them "
                              "(spaces must be percent-encoded as %20)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidEndpoint(f"{prefix} cannot be parsed ({exc}): check the host and the port "
                              "(the port must be a number from 1 to 65535)") from exc
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise InvalidEndpoint(f"{prefix} has scheme {parts.scheme!r}: only http:// and https:// are allowed "
                              "(https:// is strongly recommended outside a lab)")
    if "@" in parts.netloc:
        raise InvalidEndpoint(f"{prefix} carries user credentials before '@': remove them; receivers authenticate "
                              "Firewatch by the webhook-signature header made with the endpoint's secret")
    host = parts.hostname
    if not host:
        raise InvalidEndpoint(f"{prefix} has no host: write it as https://HOST[:PORT]/PATH")
    if port is not None and not 1 <= port <= 65535:
        raise InvalidEndpoint(f"{prefix} has port {port}: use a port from 1 to 65535")
    if not allow_private_networks:
        _refuse_private_literal(host, prefix)
    return url


def _refuse_private_literal(host: str, prefix: str) -> None:
    hint = ("set `allow_private_networks = true` in [alerts] only for tests and lab receivers on loopback or a "
            "private network")
    if host == "localhost" or host.endswith(".localhost"):
        raise InvalidEndpoint(f"{prefix} points at localhost: {hint}")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    if not _is_public_address(address):
        raise InvalidEndpoint(f"{prefix} points at the non-public address {address}: {hint}")


def check_resolved_addresses(url: str, *, allow_private_networks: bool, name: str = "endpoint") -> None:
    """Resolve the URL's host and refuse it when any address is not public (unless private networks are allowed).

    Raises :class:`InvalidEndpoint`; a name that does not resolve raises it too (the caller retries later).
    """
    if allow_private_networks:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise InvalidEndpoint(f"alerts endpoint {name!r}: host {host!r} does not resolve ({exc}): check the "
                              "spelling and the DNS of the receiving system") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not _is_public_address(address):
            raise InvalidEndpoint(
                f"alerts endpoint {name!r}: host {host!r} resolves to the non-public address {address}; refusing "
                "to send (server-side request forgery guard). Set `allow_private_networks = true` in [alerts] "
                "only for tests and lab receivers")
