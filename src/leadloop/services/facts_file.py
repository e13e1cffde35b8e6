"""A :class:`~leadloop.domain.qualification.FactsSource` over snapshots held in memory.

Until the profile store answers the port, this is the source the CLI reads from a file
(``leadloop rules test FILE --facts facts.ndjson``): one JSON object per line with the
fields of :class:`~leadloop.domain.facts.LeadFacts` (times in ISO-8601, ``engagements`` a
list of objects with the fields of :class:`~leadloop.domain.facts.Engagement`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leadloop.domain.facts import Engagement, LeadFacts
from leadloop.errors import ValidationError


class MemoryFactsSource:
    """Fact snapshots of many leads; the latest one not after ``as_of`` answers."""

    def __init__(self, snapshots: Iterable[LeadFacts] = ()) -> None:
        self.snapshots = sorted(snapshots, key=lambda f: (f.contact_id, f.as_of))

    def facts_for(
        self, workspace_id: int, contact_ids: Sequence[int], as_of: datetime
    ) -> list[LeadFacts]:
        wanted = set(contact_ids)
        latest: dict[int, LeadFacts] = {}
        for f in self.snapshots:
            if f.contact_id in wanted and f.as_of <= as_of:
                latest[f.contact_id] = f
        return [latest[c] for c in contact_ids if c in latest]

    def history(self, workspace_id: int, *, until: datetime | None = None) -> list[LeadFacts]:
        return [f for f in self.snapshots if until is None or f.as_of <= until]

    @classmethod
    def from_ndjson(cls, path: Path) -> MemoryFactsSource:
        """Read snapshots from a JSON-lines file; a bad line is reported with its number."""
        out = []
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                out.append(facts_from_json(json.loads(line)))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValidationError(f"{path}:{n}: not a lead-facts record: {exc}") from None
        return cls(out)


def _time(value: str) -> datetime:
    at = datetime.fromisoformat(value)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def facts_from_json(data: dict[str, Any]) -> LeadFacts:
    """One :class:`LeadFacts` from its JSON object."""
    engagements = tuple(
        Engagement(
            asset_id=str(e["asset_id"]),
            grade=str(e["grade"]),
            buying_stage=str(e["buying_stage"]),
            at=_time(e["at"]),
            topics=tuple(e.get("topics", ())),
            signal=e.get("signal"),
            visits=int(e.get("visits", 1)),
        )
        for e in data.get("engagements", ())
    )
    return LeadFacts(
        contact_id=int(data["contact_id"]),
        as_of=_time(data["as_of"]),
        buying_stage=data.get("buying_stage"),
        engagement_level=str(data.get("engagement_level", "cold")),
        hot_signals=tuple(data.get("hot_signals", ())),
        interests={str(k): float(v) for k, v in data.get("interests", {}).items()},
        persona=data.get("persona"),
        segment=data.get("segment"),
        account_id=data.get("account_id"),
        account_engagement_level=data.get("account_engagement_level"),
        account_active_contacts=int(data.get("account_active_contacts", 0)),
        engagements=engagements,
    )
