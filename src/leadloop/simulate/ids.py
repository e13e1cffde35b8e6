"""Deterministic identifiers and timestamps: a function of (seed, kind, number) only.

Ids are hashes, not counters, so they look like what real trackers send (uuids, opaque user
ids) while the same seed still reproduces every byte.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Final

import numpy as np

from leadloop.simulate.config import DAY_MS

_DAY_CACHE_LIMIT: Final = 100_000


def digest(seed: int, kind: str, number: int, size: int = 8) -> str:
    """Hex digest of ``seed:kind:number``; ``size`` bytes."""
    data = f"{seed}:{kind}:{number}".encode()
    return hashlib.blake2b(data, digest_size=size).hexdigest()


def as_uuid(hex32: str) -> str:
    """Format 32 hex digits as a version-4-looking uuid string."""
    h = hex32
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def anonymous_id(seed: int, person: int, device: int) -> str:
    """The ``anonymousId`` cookie of a person's device (device 0, 1, ...)."""
    return as_uuid(digest(seed, f"anon{device}", person, 16))


def user_id(seed: int, contact: int) -> str:
    """The ``userId`` the vendor's site assigns once a contact identifies."""
    return "usr_" + digest(seed, "user", contact, 8)


def crm_id(seed: int, contact: int) -> str:
    """A Salesforce-looking contact id (``003`` prefix, 15 characters)."""
    return "003" + digest(seed, "crm", contact, 6).upper()


def group_id(seed: int, account: int) -> str:
    """The ``groupId`` of an account."""
    return "grp_" + digest(seed, "group", account, 6)


def opportunity_id(seed: int, number: int) -> str:
    """A Salesforce-looking opportunity id (``006`` prefix)."""
    return "006" + digest(seed, "opp", number, 6).upper()


_MIX_A: Final = np.uint64(0x9E3779B97F4A7C15)
_MIX_B: Final = np.uint64(0xC2B2AE3D27D4EB4F)
_BLOCK_BITS: Final = 14
_DASH, _FOUR, _VARIANT, _END = 32, 33, 34, 35
_UUID_SHAPE: Final = "8-4-4-4-12"
_LAYOUT: Final = np.array(
    [
        *range(8),
        _DASH,
        *range(8, 12),
        _DASH,
        _FOUR,
        *range(13, 16),
        _DASH,
        _VARIANT,
        *range(17, 20),
        _DASH,
        *range(20, 32),
        _END,
    ]
)
"""Where each character of a uuid (``_UUID_SHAPE``) comes from: hex digit 0-31 or a
constant (dash, version 4, variant ``a``, separator)."""


class MessageIds:
    """``messageId`` per emitted message: a uuid-shaped bijective scramble of a counter.

    Hashing each of twenty million messages in Python costs more than the rest of the
    message, so ids are made in numpy blocks: an odd multiplier (a bijection modulo 2**64)
    xor a seed-derived mask keeps them unique, seed-specific and random-looking.
    """

    def __init__(self, seed: int) -> None:
        mask = hashlib.blake2b(f"msg:{seed}".encode(), digest_size=16).digest()
        self._a = np.uint64(int.from_bytes(mask[:8], "big"))
        self._b = np.uint64(int.from_bytes(mask[8:], "big"))
        self._block = -1
        self._ids: list[str] = []

    def __call__(self, number: int) -> str:
        block = number >> _BLOCK_BITS
        if block != self._block:
            self._ids = self._make(block)
            self._block = block
        return self._ids[number & ((1 << _BLOCK_BITS) - 1)]

    def _make(self, block: int) -> list[str]:
        size = 1 << _BLOCK_BITS
        n = np.arange(block * size, (block + 1) * size, dtype=np.uint64)
        words = np.stack(((n * _MIX_A) ^ self._a, (n * _MIX_B) ^ self._b), axis=1)
        digits = np.frombuffer(words.astype(">u8").tobytes().hex().encode(), np.uint8)
        extra = np.frombuffer(b"-4a ", np.uint8)
        chars = np.concatenate((digits.reshape(size, 32), np.tile(extra, (size, 1))), axis=1)
        return chars[:, _LAYOUT].tobytes().decode("ascii").split()


class IsoClock:
    """Formats epoch milliseconds as ``2025-03-04T09:15:02.123Z`` from cached pieces."""

    _seconds: tuple[str, ...] = ()
    _millis: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._days: dict[int, str] = {}
        if not IsoClock._seconds:
            IsoClock._seconds = tuple(
                f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}." for s in range(86_400)
            )
            IsoClock._millis = tuple(f"{ms:03d}Z" for ms in range(1000))

    def __call__(self, ms: int) -> str:
        day, rest = divmod(ms, DAY_MS)
        prefix = self._days.get(day)
        if prefix is None:
            if len(self._days) > _DAY_CACHE_LIMIT:
                self._days.clear()
            prefix = datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%dT")
            self._days[day] = prefix
        sec, milli = divmod(rest, 1000)
        return prefix + self._seconds[sec] + self._millis[milli]

    def date(self, ms: int) -> str:
        """``YYYY-MM-DD`` of an epoch-ms instant (UTC)."""
        return self(ms)[:10]
