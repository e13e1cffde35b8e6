"""Content tagged as part of a sale: what the buying group consumed before the deal closed.

An opportunity's window runs ``lookback_days`` back from its end: the end of its close
date (UTC) when it is won or lost, the tagging time while it is open. Every page or track
event about an asset by one of the opportunity's contacts, or by another contact of its
account, inside the window is folded into one :class:`SaleConsumption` per (asset,
contact): first and last time, grade, visits. The grade is profiling's own
(:func:`leadloop.domain.consumption.grade` over the folded per-asset state, under the same
thresholds), so "deep read" means one thing in a profile and in a sale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from leadloop.domain.consumption import AssetState, DepthThresholds, event_state, from_ms, grade

CONTACT_ROLE: Final = "contact_role"
ACCOUNT: Final = "account"
RELATIONS: Final = (CONTACT_ROLE, ACCOUNT)
"""How a consumer belongs to the sale: a contact role of the deal, or its account."""

DEFAULT_LOOKBACK_DAYS: Final = 365


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


def tag_sale(
    consumed: Iterable[ConsumedEvent],
    window: tuple[datetime, datetime],
    relations: Mapping[int, str],
    thresholds: DepthThresholds | None = None,
) -> list[SaleConsumption]:
    """Fold the events of the sale's contacts inside ``window`` per (asset, contact).

    ``relations`` maps each contact of the sale to its relation; other contacts' events
    and events outside ``[start, end)`` are ignored. Visits are page views; the grade is
    profiling's, under ``thresholds`` (the workspace's depth settings).
    """
    thresholds = thresholds or DepthThresholds()
    start, end = window
    folded: dict[tuple[str, int], AssetState] = {}
    for e in consumed:
        if e.contact_id not in relations or not start <= e.at < end:
            continue
        state = event_state(e.kind, e.name, e.at, e.properties)
        held = folded.get((e.asset_id, e.contact_id))
        folded[(e.asset_id, e.contact_id)] = state if held is None else held.combine(state)
    return [
        SaleConsumption(
            asset,
            contact,
            relations[contact],
            from_ms(st.first_at_ms),
            from_ms(st.last_at_ms),
            grade(st, thresholds),
            st.visits,
            st.events,
        )
        for (asset, contact), st in sorted(folded.items())
    ]
