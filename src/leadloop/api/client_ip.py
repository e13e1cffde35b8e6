"""Which address a tracking call came from, trusting ``X-Forwarded-For`` only from proxies.

Any client can send ``X-Forwarded-For``; taken as is, it lets a visitor write whatever
``context.ip`` it likes. The header is read only when the connection comes from a trusted
proxy (``LEADLOOP_TRUSTED_PROXIES``, by default this host's own loopback, where a reverse
proxy such as nginx usually runs), and then from the right: each trusted hop is skipped
and the first address that is not a trusted proxy is the client. This is the usual rule
(uvicorn's ``--forwarded-allow-ips``, nginx's ``real_ip_recursive``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

Network = IPv4Network | IPv6Network


@lru_cache(maxsize=8)
def networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    """The trusted networks from their text form (validated by the settings already)."""
    return tuple(ip_network(s.strip(), strict=False) for s in spec)


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def client_ip(peer: str | None, forwarded: str | None, trusted: Iterable[Network]) -> str | None:
    """The client's address: the peer, or (behind trusted proxies) the header's last
    untrusted hop. A header from an untrusted peer is ignored."""
    nets = tuple(trusted)
    if peer is None or not forwarded or not _trusted(peer, nets):
        return peer
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, nets):
            return hop
    return hops[0] if hops else peer
