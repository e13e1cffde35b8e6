"""Segment-format messages, numbered, serialised and merged into one time-ordered stream.

Sessions hand messages over slightly out of order (a session started earlier may end later
than the next one starts); a small heap holds them until no session can come before them,
so the output is globally sorted by (timestamp, sequence) in bounded memory.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from typing import IO, Any, Final

import orjson

from leadloop.simulate.ids import IsoClock, MessageIds

LIBRARY: Final = {"name": "analytics.js", "version": "4.1.0"}
ESP_LIBRARY: Final = {"name": "northpeak-esp-webhooks", "version": "1.3.2"}
WRITE_CHUNK: Final = 512

Pending = tuple[int, int, bytes]


def _truncated(line: bytes, _msg: dict[str, Any]) -> bytes:
    return line[: max(10, len(line) // 2)]


def _without_ids(_line: bytes, msg: dict[str, Any]) -> bytes:
    return orjson.dumps({k: v for k, v in msg.items() if k not in ("anonymousId", "userId")})


def _track_without_event(_line: bytes, msg: dict[str, Any]) -> bytes:
    bad = {k: v for k, v in msg.items() if k not in ("event", "name")}
    bad["type"] = "track"
    return orjson.dumps(bad)


def _unknown_type(_line: bytes, msg: dict[str, Any]) -> bytes:
    return orjson.dumps({**msg, "type": "pageview"})


def _bad_timestamp(_line: bytes, msg: dict[str, Any]) -> bytes:
    return orjson.dumps({**msg, "timestamp": "last Tuesday 10am"})


def _properties_not_object(_line: bytes, msg: dict[str, Any]) -> bytes:
    return orjson.dumps({**msg, "properties": "asset_id=unknown"})


MALFORMATIONS: Final = (
    _truncated,
    _without_ids,
    _track_without_event,
    _unknown_type,
    _bad_timestamp,
    _properties_not_object,
)
"""Ways a line can be broken, each of which ``parse_message`` (or JSON) must refuse."""


class Emitter:
    """Builds each message, adds noise (broken lines, retried duplicates) and orders output."""

    def __init__(
        self, seed: int, rng: random.Random, malformed_rate: float, duplicate_rate: float
    ) -> None:
        self.ids = MessageIds(seed)
        self.clock = IsoClock()
        self.rng = rng
        self.seq = 0
        self.pending: list[Pending] = []
        self.ready: list[bytes] = []  # released, in order, not yet written
        self.counts: Counter[str] = Counter()
        # Broken lines are extra lines, so the rate is per emitted line, valid ones included.
        self._broken = malformed_rate / (1.0 - malformed_rate) if malformed_rate < 1 else 0.0
        self._noise = self._broken + duplicate_rate
        self.malformed = 0
        self.duplicates = 0

    def _push(self, ts: int, msg: dict[str, Any], label: str) -> None:
        seq = self.seq
        self.seq = seq + 1
        line = orjson.dumps(msg)
        heapq.heappush(self.pending, (ts, seq, line))
        self.counts[label] += 1
        if self._noise and self.rng.random() < self._noise:
            self._add_noise(ts, msg, line)

    def _add_noise(self, ts: int, msg: dict[str, Any], line: bytes) -> None:
        seq = self.seq
        self.seq = seq + 1
        if self.rng.random() * self._noise < self._broken:
            broken = self.rng.choice(MALFORMATIONS)
            noisy = broken(line, {**msg, "messageId": self.ids(seq)})
            self.malformed += 1
        else:
            noisy = line  # a client retry: same messageId, same timestamp
            self.duplicates += 1
        heapq.heappush(self.pending, (ts, seq, noisy))

    def _head(self, kind: str, ts: int) -> dict[str, Any]:
        return {"type": kind, "messageId": self.ids(self.seq), "timestamp": self.clock(ts)}

    def page(
        self, ts: int, anon: str, user: str | None, props: dict[str, Any], ctx: dict[str, Any]
    ) -> None:
        msg = self._head("page", ts)
        msg["anonymousId"] = anon
        if user is not None:
            msg["userId"] = user
        msg["name"] = props["title"]
        msg["properties"] = props
        msg["context"] = ctx
        self._push(ts, msg, "page")

    def track(
        self,
        ts: int,
        anon: str | None,
        user: str | None,
        event: str,
        props: dict[str, Any],
        ctx: dict[str, Any],
    ) -> None:
        msg = self._head("track", ts)
        if anon is not None:
            msg["anonymousId"] = anon
        if user is not None:
            msg["userId"] = user
        msg["event"] = event
        msg["properties"] = props
        msg["context"] = ctx
        self._push(ts, msg, event)

    def identify(
        self, ts: int, anon: str, user: str, traits: dict[str, Any], ctx: dict[str, Any]
    ) -> None:
        msg = self._head("identify", ts)
        msg["anonymousId"] = anon
        msg["userId"] = user
        msg["traits"] = traits
        msg["context"] = ctx
        self._push(ts, msg, "identify")

    def group(
        self,
        ts: int,
        anon: str,
        user: str,
        group_id: str,
        traits: dict[str, Any],
        ctx: dict[str, Any],
    ) -> None:
        msg = self._head("group", ts)
        msg["anonymousId"] = anon
        msg["userId"] = user
        msg["groupId"] = group_id
        msg["traits"] = traits
        msg["context"] = ctx
        self._push(ts, msg, "group")

    def flush_before(self, ts: int, out: IO[bytes]) -> None:
        """Release every held line earlier than ``ts``: no session can precede them now."""
        pending = self.pending
        if not pending or pending[0][0] >= ts:
            return
        pop, ready = heapq.heappop, self.ready
        while pending and pending[0][0] < ts:
            ready.append(pop(pending)[2])
        if len(ready) >= WRITE_CHUNK:
            self._write(out)

    def _write(self, out: IO[bytes]) -> None:
        if self.ready:
            self.ready.append(b"")
            out.write(b"\n".join(self.ready))
            self.ready.clear()

    def flush_all(self, out: IO[bytes]) -> None:
        """Write everything still held (the end of the period)."""
        self.flush_before(2**62, out)
        self._write(out)

    @property
    def valid(self) -> int:
        """Valid, distinct messages emitted (duplicates and broken lines excluded)."""
        return sum(self.counts.values())
