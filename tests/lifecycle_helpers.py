"""Helpers for lifecycle tests: contacts, users, rule files and leads put into a state."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from leadloop.bootstrap import Container
from leadloop.domain.facts import Engagement, LeadFacts
from leadloop.domain.lifecycle import Actor, plan
from leadloop.store.tables import contacts

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
_emails = itertools.count()

RULES_V1 = """\
name: Northpeak sales-ready lead
version: 1
qualify_when:
  all:
    - buying_stage: {at_least: consideration}
    - any:
        - engagement: hot
        - score: {at_least: 60}
        - hot_signal: any
    - persona: {in: [Function Head, IT Manager]}
"""

RULES_V2 = """\
name: Northpeak sales-ready lead
version: 2
qualify_when:
  all:
    - buying_stage: {at_least: interest}
    - any:
        - engagement: hot
        - hot_signal: any
    - persona: {in: [Function Head, IT Manager]}
    - not: {segment: {in: [competitor]}}
"""


def add_contact(
    engine: Engine, workspace_id: int, status: str = "known", created_at: datetime = T0
) -> int:
    with engine.begin() as conn:
        result = conn.execute(
            contacts.insert().values(
                workspace_id=workspace_id,
                status=status,
                email=None if status == "anonymous" else f"lead{next(_emails)}@buyer.example",
                created_at=created_at,
                updated_at=created_at,
            )
        )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def add_team(container: Container, workspace_id: int) -> None:
    """mia (marketing), sam (sales), ada (admin)."""
    container.users.add(workspace_id, "mia@seller.example", "marketing", "Mia")
    container.users.add(workspace_id, "sam@seller.example", "sales", "Sam")
    container.users.add(workspace_id, "ada@seller.example", "admin", "Ada")


def activate(container: Container, workspace_id: int, text: str = RULES_V1) -> int:
    version = container.rulebook.upload(workspace_id, text, "mia@seller.example").record.version
    container.rulebook.approve(workspace_id, version, "mia@seller.example")
    container.rulebook.approve(workspace_id, version, "sam@seller.example")
    return version


def put_in_state(container: Container, workspace_id: int, contact_id: int, state: str) -> None:
    """Move a lead to ``state`` along recorded system steps (for setting up a test)."""
    store = container.lead_store
    with store.write_connection() as conn, conn.begin():
        current = store.lock(conn, workspace_id, contact_id)
        if current.state != state:
            steps = plan(
                contact_id,
                current.state,
                current.cycle,
                state,
                at=T0 + timedelta(days=1),
                actor=Actor("system"),
                reason="test setup",
            )
            store.apply(conn, workspace_id, steps)


def hot(contact: int, day: float = 10, **kw: object) -> LeadFacts:
    base: dict[str, object] = {
        "buying_stage": "purchase",
        "engagement_level": "hot",
        "persona": "IT Manager",
        "hot_signals": ("coverage-map",),
        "engagements": (
            Engagement("coverage-map", "downloaded", "purchase", T0 + timedelta(days=day)),
        ),
    }
    base.update(kw)
    return LeadFacts(contact_id=contact, as_of=T0 + timedelta(days=day), **base)  # type: ignore[arg-type]
