"""Coarse client buckets for rate limiting, without ever keeping an address.

Defends against two things at once: a flood of submissions from one network (each bucket has a
per-window budget, counted in the metadata database so every replica sees the same count), and
the rate limiter itself becoming a log of who reported. The address is reduced to its /16
(IPv4) or /48 (IPv6) prefix and that prefix is hashed with HMAC-SHA256 under a random salt
that changes every UTC day and is deleted the day after, so a bucket can't be turned back
into a network once its day is over, and buckets of two days can't be linked. Neither the
address nor the prefix is stored, logged or returned; only the keyed hash reaches the DB.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

IPV4_PREFIX = 16
IPV6_PREFIX = 48
UNKNOWN = "unknown"  # no peer address (a test client, a Unix socket): one shared bucket


def network_prefix(host: str | None) -> str:
    """The coarse network a peer address belongs to (``10.1.0.0/16``), or ``unknown``."""
    if not host:
        return UNKNOWN
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return UNKNOWN
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    bits = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))


def bucket_of(host: str | None, *, salt: str) -> str:
    """The day's keyed hash of the peer's coarse network (32 hex digits)."""
    prefix = network_prefix(host).encode()
    return hmac.new(bytes.fromhex(salt), prefix, hashlib.sha256).hexdigest()[:32]


def window_of(now_seconds: float, *, length: int) -> tuple[int, int]:
    """The window number of ``now_seconds`` and the seconds until it ends (at least 1)."""
    window_no = int(now_seconds // length)
    return window_no, max(1, int((window_no + 1) * length - now_seconds + 0.999))
