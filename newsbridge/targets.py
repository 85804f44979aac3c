"""The SSRF guard: webhook and feed URLs may reach only public addresses.

A URL's host is resolved once; every address must be globally routable and not multicast,
including IPv4 addresses hidden in IPv6 forms (mapped ``::ffff:a.b.c.d``, NAT64
``64:ff9b::/96``, 6to4 ``2002::/16``, Teredo). Operators allow private ranges explicitly
with ``NEWSBRIDGE_ALLOW_PRIVATE_TARGETS`` (CIDRs). The caller then connects to the address
that was checked, so a second DNS answer cannot point it elsewhere (no DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from newsbridge.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
NAT64 = ipaddress.ip_network("64:ff9b::/96")
CGNAT = ipaddress.ip_network("100.64.0.0/10")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d
# Not global, though Python's table may say so: local-use NAT64, old site-local, SRv6 segment ids.
NOT_PUBLIC = tuple(ipaddress.ip_network(n) for n in ("64:ff9b:1::/48", "fec0::/10", "5f00::/16"))


@dataclass(frozen=True)
class Target:
    """A checked URL: connect to ``address``, and say ``host`` in Host and TLS SNI."""

    url: str
    scheme: str
    host: str
    port: int
    address: str

    def connect_url(self) -> str:
        """The URL with the checked address in place of the host name."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if ":" in self.address else self.address
        netloc = f"{literal}:{self.port}"
        return parts._replace(netloc=netloc).geturl()


def host_header(target: Target) -> str:
    """``name``, ``name:port``, or ``[v6::literal]:port``: what the URL said, for the Host header."""
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InvalidInput(f"cannot resolve {host!r}: {exc.strerror}", field="url") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if ip in NAT64 or ip in IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """Globally routable, not multicast, and no private IPv4 address hidden inside."""
    if not ip.is_global or ip.is_multicast or ip in CGNAT or any(ip in net for net in NOT_PUBLIC):
        return False
    inner = _embedded_ipv4(ip)
    return inner is None or is_public(inner)


def parse_allowlist(cidrs: Sequence[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)
    except ValueError as exc:
        raise InvalidInput(f"NEWSBRIDGE_ALLOW_PRIVATE_TARGETS: {exc}", field="NEWSBRIDGE_ALLOW_PRIVATE_TARGETS") \
            from None


def check_url(url: str, allow: Sequence[str] = (), resolver: Resolver = system_resolver) -> Target:
    """Validate a webhook or feed URL and pick the address to connect to; InvalidInput when refused."""
    if isinstance(url, str) and (bad := next((c for c in url if c <= " " or c == "\x7f"), None)) is not None:
        # urlsplit silently drops CR, LF and tab (so the URL checked would not be the URL stored), and a
        # space or NUL would reach the request line: a header-injection attempt or a typo, refused either way
        raise InvalidInput(f"the URL holds a space or control character ({bad!r}); percent-encode it "
                           "(%20) or remove it", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidInput(f"{url!r} is not a valid URL", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("the URL must be http:// or https:// with a host name", field="url")
    if parts.username or parts.password:
        raise InvalidInput("credentials in the URL are not allowed; the hub signs its requests instead", field="url")
    allowed = parse_allowlist(allow)
    try:
        literal: IPAddress | None = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    addresses = [str(literal)] if literal else resolver(parts.hostname, port)
    if not addresses:
        raise InvalidInput(f"{parts.hostname!r} has no address", field="url")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not is_public(ip) and not any(ip in net for net in allowed):
            raise InvalidInput(
                f"{parts.hostname} resolves to {ip}, a private, loopback or reserved address; the hub only "
                "calls public addresses unless the operator allows the range in NEWSBRIDGE_ALLOW_PRIVATE_TARGETS",
                field="url")
    return Target(url, parts.scheme, parts.hostname, port, addresses[0].split("%")[0])
