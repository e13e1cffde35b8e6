"""Content tagged as part of a sale: what the buying group consumed before the deal closed.

An opportunity's window runs ``lookback_days`` back from its end: the end of its close
date (UTC) when it is won or lost, the tagging time while it is open. Every page or track
event about an asset by one of the opportunity's contacts, or by another contact of its
account, inside the window is folded into one :class:`SaleConsumption` per (asset,
contact): first and last time, deepest grade, visits. The grade of one event comes from
:func:`event_grade`, a stand-in for profiling's grader (``leadloop.domain.consumption``)
until it lands; the grades are :data:`leadloop.domain.facts.GRADES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from leadloop.domain.facts import GRADES

CONTACT_ROLE: Final = "contact_role"
ACCOUNT: Final = "account"
RELATIONS: Final = (CONTACT_ROLE, ACCOUNT)
"""How a consumer belongs to the sale: a contact role of the deal, or its account."""

DEFAULT_LOOKBACK_DAYS: Final = 365

# Depth thresholds of the stand-in grader (percent read, watched or attended; sections).
COMPLETED_PCT: Final = 90.0
DEEP_READ_PCT: Final = 60.0
READ_PCT: Final = 25.0
DEEP_READ_SECTIONS: Final = 3
READ_SECTIONS: Final = 2
_DEPTH_EVENTS: Final = {
    "Content Engaged": "read_depth",
    "Video Progress": "percent",
    "Webinar Attended": "percent",
}


@dataclass(frozen=True, slots=True)
class ConsumedEvent:
    """One stored page/track event about an asset, by a contact (identities resolved)."""

    contact_id: int
    asset_id: str
    kind: str
    name: str | None
    at: datetime
    properties: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SaleConsumption:
    """One contact's consumption of one asset inside one opportunity's window."""

    asset_id: str
    contact_id: int
    relation: str
    first_at: datetime
    last_at: datetime
    grade: str
    visits: int
    events: int


def sale_window(
    status: str,
    close_date: date | None,
    now: datetime,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> tuple[datetime, datetime]:
    """``[start, end)`` of what counts toward a sale.

    >>> s, e = sale_window("won", date(2026, 3, 31), datetime(2026, 6, 1, tzinfo=UTC), 30)
    >>> s.isoformat(), e.isoformat()
    ('2026-03-02T00:00:00+00:00', '2026-04-01T00:00:00+00:00')
    """
    if status != "open" and close_date is not None:
        end = datetime.combine(close_date + timedelta(days=1), time(), tzinfo=UTC)
    else:
        end = now.astimezone(UTC)
    return end - timedelta(days=lookback_days), end


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return None
    return float(value)


def _depth_grade(percent: float | None, sections: float | None) -> str:
    p, s = percent or 0.0, sections or 0.0
    if p >= COMPLETED_PCT:
        return "completed"
    if p >= DEEP_READ_PCT or s >= DEEP_READ_SECTIONS:
        return "deep_read"
    if p >= READ_PCT or s >= READ_SECTIONS:
        return "read"
    return "glance"


def event_grade(kind: str, name: str | None, properties: Mapping[str, Any]) -> str:
    """The depth one event shows (stand-in: profiling's grader replaces this).

    A page view is a glance; ``Content Engaged`` grades by ``read_depth`` and
    ``sections_reached``, ``Video Progress`` and ``Webinar Attended`` by ``percent``;
    ``Asset Downloaded`` is a download; any other track event about an asset a glance.

    >>> event_grade("track", "Content Engaged", {"read_depth": 70})
    'deep_read'
    >>> event_grade("track", "Video Progress", {"percent": 100})
    'completed'
    """
    if kind != "track":
        return "glance"
    if name == "Asset Downloaded":
        return "downloaded"
    key = _DEPTH_EVENTS.get(name or "")
    if key is None:
        return "glance"
    sections = properties.get("sections_reached") if name == "Content Engaged" else None
    return _depth_grade(_number(properties.get(key)), _number(sections))


def deepest(grades: Iterable[str]) -> str:
    """The deepest of some grades (by their order in ``GRADES``).

    >>> deepest(["read", "glance", "deep_read"])
    'deep_read'
    """
    return max(grades, key=GRADES.index)


def tag_sale(
    consumed: Iterable[ConsumedEvent],
    window: tuple[datetime, datetime],
    relations: Mapping[int, str],
) -> list[SaleConsumption]:
    """Fold the events of the sale's contacts inside ``window`` per (asset, contact).

    ``relations`` maps each contact of the sale to its relation; other contacts' events
    and events outside ``[start, end)`` are ignored. Visits are page views.
    """
    start, end = window
    folded: dict[tuple[str, int], list[Any]] = {}
    for e in consumed:
        if e.contact_id not in relations or not start <= e.at < end:
            continue
        grade = event_grade(e.kind, e.name, e.properties)
        row = folded.get((e.asset_id, e.contact_id))
        if row is None:
            folded[(e.asset_id, e.contact_id)] = [e.at, e.at, grade, int(e.kind == "page"), 1]
            continue
        row[0], row[1] = min(row[0], e.at), max(row[1], e.at)
        row[2] = deepest((row[2], grade))
        row[3] += int(e.kind == "page")
        row[4] += 1
    return [
        SaleConsumption(asset, contact, relations[contact], *row)
        for (asset, contact), row in sorted(folded.items())
    ]
