"""Helpers for store tests: Segment messages parsed by the real parser, written by the real
SqlIngestStore into one workspace source, and read back with SQLAlchemy Core."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine, Row, select

from leadloop.domain.messages import BatchEnvelope, parse_message
from leadloop.store.ingest import Rejected, SqlIngestStore, WriteResult, WriteUnit
from leadloop.store.tables import accounts, contacts, events, identities


@dataclass
class Tracker:
    """One workspace source, written through the real ingest store."""

    engine: Engine
    store: SqlIngestStore
    workspace_id: int
    source_id: int
    clock: datetime = field(default_factory=lambda: datetime(2026, 3, 1, 9, 0, tzinfo=UTC))

    def unit(self, raws: Sequence[dict[str, Any]], rejected: Sequence[Rejected] = ()) -> WriteUnit:
        self.clock += timedelta(seconds=1)
        envelope = BatchEnvelope(self.clock)
        messages = [parse_message(raw, envelope) for raw in raws]
        return WriteUnit(self.workspace_id, self.source_id, messages, list(rejected))

    def write(self, *raws: dict[str, Any]) -> WriteResult:
        return self.store.write([self.unit(raws)])[0]

    def events(self) -> list[Row[Any]]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(events)
                    .where(events.c.workspace_id == self.workspace_id)
                    .order_by(events.c.id)
                )
            )

    def event(self, message_id: str) -> Row[Any]:
        rows = [e for e in self.events() if e.message_id == message_id]
        assert len(rows) == 1, f"{message_id}: {len(rows)} rows"
        return rows[0]

    def payload(self, message_id: str) -> dict[str, Any]:
        body: dict[str, Any] = orjson.loads(self.event(message_id).payload_json)
        return body

    def person_of(self, message_id: str) -> Row[Any]:
        """The contact the event's identity points at now."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(contacts)
                .join(identities, identities.c.contact_id == contacts.c.id)
                .where(identities.c.id == self.event(message_id).identity_id)
            ).one()

    def contacts(self, *, live: bool = True) -> list[Row[Any]]:
        query = select(contacts).where(contacts.c.workspace_id == self.workspace_id)
        if live:
            query = query.where(contacts.c.merged_into_id.is_(None))
        with self.engine.connect() as conn:
            return list(conn.execute(query.order_by(contacts.c.id)))

    def contact(self, contact_id: int) -> Row[Any]:
        with self.engine.connect() as conn:
            return conn.execute(select(contacts).where(contacts.c.id == contact_id)).one()

    def accounts(self) -> list[Row[Any]]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(accounts)
                    .where(accounts.c.workspace_id == self.workspace_id)
                    .order_by(accounts.c.id)
                )
            )

    def account(self, account_id: int | None) -> Row[Any]:
        assert account_id is not None, "the contact has no account"
        return next(a for a in self.accounts() if a.id == account_id)

    def identities(self) -> list[Row[Any]]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(identities).where(identities.c.workspace_id == self.workspace_id)
                )
            )


TrackerFactory = Callable[[], Tracker]


def check_invariants(tracker: Tracker, sent: set[str]) -> None:
    """No event lost or duplicated; every event on exactly one live contact; merges sound."""
    ws = tracker.workspace_id
    with tracker.engine.connect() as conn:
        rows = conn.execute(
            select(events.c.message_id, identities.c.contact_id, identities.c.workspace_id)
            .select_from(events.outerjoin(identities, identities.c.id == events.c.identity_id))
            .where(events.c.workspace_id == ws)
        ).all()
        people = {
            c.id: c for c in conn.execute(select(contacts).where(contacts.c.workspace_id == ws))
        }
    # Every message stored exactly once.
    counts = Counter(r.message_id for r in rows)
    assert set(counts) == sent
    assert all(n == 1 for n in counts.values()), counts
    # Every event's identity exists and resolves to exactly one live contact.
    by_person: dict[int, set[str]] = {}
    for r in rows:
        assert r.contact_id is not None, f"{r.message_id} points at a missing identity"
        assert r.workspace_id == ws
        person = people[r.contact_id]
        assert person.merged_into_id is None, f"{r.message_id} is on merged contact {person.id}"
        by_person.setdefault(person.id, set()).add(r.message_id)
    # The events of live contacts partition all events.
    assert sum(len(v) for v in by_person.values()) == len(sent)
    assert set().union(*by_person.values()) == sent
    # Merged contacts point at a live one; e-mails are unique among live contacts.
    live = [c for c in people.values() if c.merged_into_id is None]
    for c in people.values():
        if c.merged_into_id is not None:
            assert people[c.merged_into_id].merged_into_id is None
            assert c.email is None
    emails = [c.email for c in live if c.email is not None]
    assert len(emails) == len(set(emails))
    assert all(e == e.lower() for e in emails)
    # Every live contact with a user id is known.
    with tracker.engine.connect() as conn:
        users = conn.execute(
            select(identities.c.contact_id).where(
                identities.c.workspace_id == ws, identities.c.kind == "user"
            )
        ).all()
    assert all(people[u.contact_id].status == "known" for u in users)
    assert all(people[u.contact_id].merged_into_id is None for u in users)
