"""Consumption depth: each event about an asset becomes part of a graded engagement.

One person's events about one asset fold into an :class:`AssetState`, a commutative monoid
(max depth, summed active time, union of sections, counts, first/last times), so applying
events one at a time in any order, all at once, or merging two people's states gives the
same state. Every field is exact (integers, maxima, sets): no floating sum depends on order.
The grade is a pure function of the state and the :class:`DepthThresholds`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from leadloop.domain.facts import GRADES

MAX_SECTIONS: Final = 500
"""Sections kept per asset; a larger count in an event is clamped (garbage guard)."""
MAX_ACTIVE_MS: Final = 24 * 3600 * 1000
"""Most active time one event may claim (a day); more is clamped."""


@dataclass(frozen=True, slots=True)
class DepthThresholds:
    """Where one grade ends and the next begins (all inclusive lower bounds)."""

    read_depth_pct: float = 25.0
    deep_read_depth_pct: float = 60.0
    completed_pct: float = 90.0
    read_seconds: int = 30
    deep_read_seconds: int = 180
    read_sections: int = 2
    deep_read_sections: int = 3
    read_visits: int = 3


@dataclass(frozen=True, slots=True)
class AssetState:
    """Everything kept about one person's (identity's) consumption of one asset."""

    first_at_ms: int
    last_at_ms: int
    first_event_id: int
    last_event_id: int
    events: int = 1
    depth: float = 0.0
    """Furthest read depth, video or webinar percent seen (0-100)."""
    active_ms: int = 0
    sections: frozenset[str] = frozenset()
    sections_total: int = 0
    visits: int = 0
    downloads: int = 0

    def combine(self, other: AssetState) -> AssetState:
        """The state of both event sets together (associative and commutative)."""
        return AssetState(
            first_at_ms=min(self.first_at_ms, other.first_at_ms),
            last_at_ms=max(self.last_at_ms, other.last_at_ms),
            first_event_id=min(self.first_event_id, other.first_event_id),
            last_event_id=max(self.last_event_id, other.last_event_id),
            events=self.events + other.events,
            depth=max(self.depth, other.depth),
            active_ms=self.active_ms + other.active_ms,
            sections=self.sections | other.sections,
            sections_total=max(self.sections_total, other.sections_total),
            visits=self.visits + other.visits,
            downloads=self.downloads + other.downloads,
        )

    @property
    def active_seconds(self) -> float:
        return self.active_ms / 1000


@dataclass(frozen=True, slots=True)
class Observation:
    """What one event says about one asset (before folding)."""

    identity_id: int
    asset_id: str
    state: AssetState


def epoch_ms(value: datetime) -> int:
    """Milliseconds since the Unix epoch (naive values are UTC): the exact time unit kept."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    delta = aware - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != value or value < 0:  # NaN or negative
        return None
    return float(value)


def _percent(value: object) -> float:
    n = _number(value)
    return 0.0 if n is None else min(n, 100.0)


def _ms(seconds: object, scale: int = 1000) -> int:
    n = _number(seconds)
    # Clamped before int(): a huge number times the scale is inf, which int() refuses.
    return 0 if n is None else int(min(n * scale, MAX_ACTIVE_MS))


def _sections(value: object) -> frozenset[str]:
    """``sections_reached`` as a count (sections 1..n) or a list of section ids."""
    if isinstance(value, list):
        return frozenset(str(v)[:100] for v in value[:MAX_SECTIONS] if v is not None)
    n = _number(value)
    if n is None:
        return frozenset()
    return frozenset(str(i) for i in range(1, int(min(n, MAX_SECTIONS)) + 1))


def _track_fields(name: str, props: Mapping[str, Any]) -> dict[str, Any]:
    if name == "Content Engaged":
        sections = _sections(props.get("sections_reached"))
        if "section" in props and props["section"] is not None:
            sections |= {str(props["section"])[:100]}
        total = _number(props.get("sections_total"))
        return {
            "depth": _percent(props.get("read_depth")),
            "active_ms": _ms(props.get("active_seconds")),
            "sections": sections,
            "sections_total": int(min(total, MAX_SECTIONS)) if total else 0,
        }
    if name == "Video Progress":
        return {"depth": _percent(props.get("percent"))}
    if name == "Webinar Attended":
        return {
            "depth": _percent(props.get("percent")),
            "active_ms": _ms(props.get("minutes_attended"), 60_000),
        }
    if name == "Asset Downloaded":
        return {"downloads": 1}
    return {}


AssetLookup = Callable[[str], str | None]
"""Maps a page url to the asset id catalogued there (None when it is not content)."""


def observe(
    event_id: int,
    identity_id: int,
    kind: str,
    name: str | None,
    timestamp: datetime,
    properties: Mapping[str, Any] | None,
    asset_for_url: AssetLookup,
) -> Observation | None:
    """The consumption one stored event reports, or None when it is about no asset.

    A page view is a visit; ``Content Engaged``, ``Video Progress`` and ``Webinar Attended``
    report depth, active time and sections; ``Asset Downloaded`` a download; any other
    track event naming an ``asset_id`` (e-mail opens and clicks, webinar registration, form
    submissions) counts as a touch of that asset.
    """
    props: Mapping[str, Any] = properties if isinstance(properties, Mapping) else {}
    asset = props.get("asset_id")
    if not isinstance(asset, str) or not asset:
        url = props.get("url")
        asset = asset_for_url(url) if kind == "page" and isinstance(url, str) else None
    if asset is None or kind not in ("page", "track"):
        return None
    return Observation(
        identity_id, asset[:255], event_state(kind, name, timestamp, props, event_id)
    )


def event_state(
    kind: str,
    name: str | None,
    timestamp: datetime,
    properties: Mapping[str, Any] | None,
    event_id: int = 0,
) -> AssetState:
    """What one page or track event says about its asset: the unit every fold combines.

    Profiles and the content tagged to a sale both fold these and :func:`grade` the result,
    so consumption depth has one definition.
    """
    props: Mapping[str, Any] = properties if isinstance(properties, Mapping) else {}
    fields = {"visits": 1} if kind == "page" else _track_fields(name or "", props)
    at = epoch_ms(timestamp)
    return AssetState(at, at, event_id, event_id, **fields)


def grade(state: AssetState, t: DepthThresholds) -> str:
    """The deepest grade the state reaches (see docs/profiling.md for the table)."""
    sections = len(state.sections)
    seconds = state.active_ms / 1000
    if state.downloads:
        return "downloaded"
    if state.depth >= t.completed_pct:
        return "completed"
    if (
        state.depth >= t.deep_read_depth_pct
        or seconds >= t.deep_read_seconds
        or sections >= t.deep_read_sections
    ):
        return "deep_read"
    if (
        state.depth >= t.read_depth_pct
        or seconds >= t.read_seconds
        or sections >= t.read_sections
        or state.visits >= t.read_visits
    ):
        return "read"
    return "glance"


def grade_rank(value: str) -> int:
    return GRADES.index(value)


def fold(observations: list[Observation]) -> dict[tuple[int, str], AssetState]:
    """Per (identity, asset) state of a list of observations (order does not matter)."""
    out: dict[tuple[int, str], AssetState] = {}
    for o in observations:
        key = (o.identity_id, o.asset_id)
        held = out.get(key)
        out[key] = o.state if held is None else held.combine(o.state)
    return out
