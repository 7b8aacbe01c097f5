"""Who is really calling when the server sits behind reverse proxies it has been told about.

A proxy puts the client's address in `X-Forwarded-For`, the scheme in `X-Forwarded-Proto` and the host
the client asked for in `X-Forwarded-Host` (the console's origin check and Secure cookie need both); anyone
can send those headers, so they count only when the peer itself is a trusted proxy. The addresses are
read right to left, each hop a trusted proxy vouches for, until the first address that is not a trusted
proxy: that is the client (`REMOTE_ADDR` from then on). With no trusted proxies the headers are ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(text: str) -> Address | None:
    """An IP address (a scope `%eth0` dropped, an IPv4-mapped IPv6 address as its IPv4), or None."""
    try:
        address = ipaddress.ip_address(text.strip().split("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_networks(proxies: Iterable[str]) -> tuple[Network, ...]:
    """`--trusted-proxy` values: addresses or networks (`10.0.0.0/8`); ValueError names a bad one."""
    networks = []
    for text in proxies:
        try:
            networks.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"not an IP address or network: {text!r}") from exc
    return tuple(networks)


def is_loopback(address: str | None) -> bool:
    found = parse_address(address) if address else None
    return found is not None and found.is_loopback


class TrustedProxies:
    """WSGI middleware: `REMOTE_ADDR`, `wsgi.url_scheme` and `HTTP_HOST` from the forwarded headers of
    trusted proxies."""

    def __init__(self, app: WSGIApp, proxies: Iterable[str]) -> None:
        self.app = app
        self.networks = parse_networks(proxies)

    def trusted(self, address: str | None) -> bool:
        found = parse_address(address) if address else None
        return found is not None and any(found in network for network in self.networks)

    def client(self, peer: str, forwarded_for: str) -> str:
        """The first address, from the right, that is not a trusted proxy (the peer already is one)."""
        client = peer
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            if parse_address(hop) is None:
                break  # garbage in the chain: stop at the last address a trusted proxy vouched for
            client = hop
            if not self.trusted(hop):
                break
        return client

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        peer = environ.get("REMOTE_ADDR")
        if self.networks and peer and self.trusted(peer):
            forwarded_for = environ.get("HTTP_X_FORWARDED_FOR", "")
            if forwarded_for:
                environ["REMOTE_ADDR"] = self.client(peer, forwarded_for)
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
            host = environ.get("HTTP_X_FORWARDED_HOST", "").split(",")[-1].strip()
            if host:
                environ["HTTP_HOST"] = host
        return self.app(environ, start_response)
