"""Hand-built lead facts for rule and lifecycle tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from leadloop.domain.facts import Engagement, LeadFacts

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def engagement(
    grade: str = "read", stage: str = "interest", at: float = 0, **kw: Any
) -> Engagement:
    return Engagement(
        asset_id=kw.pop("asset_id", f"a-{grade}-{at}"),
        grade=grade,
        buying_stage=stage,
        at=day(at),
        **kw,
    )


def facts(contact_id: int = 42, as_of: float = 0, **kw: Any) -> LeadFacts:
    kw.setdefault("buying_stage", "consideration")
    kw.setdefault("engagement_level", "warm")
    return LeadFacts(contact_id=contact_id, as_of=day(as_of), **kw)
