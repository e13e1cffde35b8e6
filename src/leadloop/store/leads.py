"""Lead states and transitions: the stored lifecycle history of every contact.

``lead_states`` has one row per contact that has a lifecycle (created on first use from the
contact's anonymous/known status, with a first-touch transition at the contact's creation
time, or at its first profiled consumption when that is earlier). Writers lock that row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite writers hold the database lock from
``BEGIN IMMEDIATE``), so two qualifications or two sales actions on one contact are applied
one after the other, never both from the same state.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Row, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadloop.domain.lifecycle import Actor, Transition
from leadloop.domain.qualification import Qualification
from leadloop.errors import NotFoundError
from leadloop.store.engine import as_utc, is_sqlite, utcnow
from leadloop.store.tables import (
    contacts,
    identities,
    lead_states,
    lead_transitions,
    profile_states,
    qualifications,
)


@dataclass(frozen=True, slots=True)
class LeadState:
    contact_id: int
    state: str
    cycle: int
    since: datetime


@dataclass(frozen=True, slots=True)
class QualificationRecord:
    """A stored qualification: the rule version and the reasons it moved a lead."""

    id: int
    contact_id: int
    cycle: int
    rule_version: int
    score: float
    reasons: tuple[str, ...]
    as_of: datetime
    qualified_at: datetime


class SqlLeadStore:
    """Read and write lead lifecycle rows; writes take a connection inside a transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def write_connection(self) -> Connection:
        """A connection whose transactions take the write lock up front on SQLite."""
        conn = self.engine.connect()
        conn.execution_options(sqlite_immediate=True)
        return conn

    def lock(self, conn: Connection, workspace_id: int, contact_id: int) -> LeadState:
        """The contact's current state, locked until the transaction ends (created if new)."""
        query = select(lead_states).where(
            lead_states.c.contact_id == contact_id, lead_states.c.workspace_id == workspace_id
        )
        if not is_sqlite(self.engine):
            query = query.with_for_update()
        row = conn.execute(query).first()  # one statement for a lead that has a lifecycle
        if row is None:
            self._ensure(conn, workspace_id, contact_id)
            row = conn.execute(query).one()
        return _state(row)

    def _contact_start(self, conn: Connection, workspace_id: int, contact_id: int) -> LeadState:
        """Where a contact's lifecycle starts: its status, at its creation (first touch)."""
        contact = conn.execute(
            select(contacts.c.status, contacts.c.created_at, contacts.c.merged_into_id).where(
                contacts.c.id == contact_id, contacts.c.workspace_id == workspace_id
            )
        ).first()
        if contact is None:
            raise NotFoundError(f"lead {contact_id} does not exist", contact_id=contact_id)
        if contact.merged_into_id is not None:
            raise NotFoundError(
                f"lead {contact_id} was merged into lead {contact.merged_into_id}; use that id",
                contact_id=contact_id,
                merged_into_id=contact.merged_into_id,
            )
        state = "known" if contact.status == "known" else "anonymous"
        created = as_utc(contact.created_at) or utcnow()
        first = _first_consumed(conn, workspace_id, contact_id)
        return LeadState(contact_id, state, 1, min(created, first) if first else created)

    def _ensure(self, conn: Connection, workspace_id: int, contact_id: int) -> None:
        start = self._contact_start(conn, workspace_id, contact_id)
        values = dict(
            contact_id=contact_id,
            workspace_id=workspace_id,
            state=start.state,
            cycle=1,
            since=start.since,
            updated_at=utcnow(),
        )
        dialect_insert = sqlite_insert if is_sqlite(self.engine) else pg_insert
        created = conn.execute(
            dialect_insert(lead_states)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(lead_states.c.contact_id)
        ).first()
        if created is not None:
            first = Transition(
                contact_id, None, start.state, start.since, 1, Actor("system"), "first touch"
            )
            self._insert_transitions(conn, workspace_id, [first])

    def apply(self, conn: Connection, workspace_id: int, steps: Sequence[Transition]) -> None:
        """Store ``steps`` and make the last one the contact's current state."""
        if not steps:
            return
        self._insert_transitions(conn, workspace_id, steps)
        last = steps[-1]
        conn.execute(
            update(lead_states)
            .where(lead_states.c.contact_id == last.contact_id)
            .values(state=last.to_state, cycle=last.cycle, since=last.at, updated_at=utcnow())
        )

    def _insert_transitions(
        self, conn: Connection, workspace_id: int, steps: Sequence[Transition]
    ) -> None:
        conn.execute(
            insert(lead_transitions),
            [
                dict(
                    workspace_id=workspace_id,
                    contact_id=t.contact_id,
                    from_state=t.from_state,
                    to_state=t.to_state,
                    at=t.at,
                    actor_kind=t.actor.kind,
                    actor_id=t.actor.id,
                    reason=t.reason,
                    rule_version=t.rule_version,
                    cycle=t.cycle,
                )
                for t in steps
            ],
        )

    def last_transition(self, conn: Connection, contact_id: int) -> Transition | None:
        row = conn.execute(
            select(lead_transitions)
            .where(lead_transitions.c.contact_id == contact_id)
            .order_by(lead_transitions.c.id.desc())
            .limit(1)
        ).first()
        return None if row is None else _transition(row)

    def record_qualification(
        self, conn: Connection, workspace_id: int, q: Qualification, cycle: int, at: datetime
    ) -> QualificationRecord:
        result = conn.execute(
            qualifications.insert().values(
                workspace_id=workspace_id,
                contact_id=q.contact_id,
                rule_version=q.rule_version,
                cycle=cycle,
                score=q.score,
                reasons_json=json.dumps(list(q.reasons)),
                as_of=q.as_of,
                qualified_at=at,
            )
        )
        assert result.inserted_primary_key is not None
        qid = int(result.inserted_primary_key[0])
        return QualificationRecord(
            qid, q.contact_id, cycle, q.rule_version, q.score, q.reasons, q.as_of, at
        )

    def state(self, workspace_id: int, contact_id: int) -> LeadState:
        """The current state, read only: a contact without a lifecycle yet is at its start."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(lead_states).where(
                    lead_states.c.contact_id == contact_id,
                    lead_states.c.workspace_id == workspace_id,
                )
            ).first()
            return (
                _state(row)
                if row is not None
                else self._contact_start(conn, workspace_id, contact_id)
            )

    def states(self, workspace_id: int, state: str | None, limit: int) -> list[LeadState]:
        query = select(lead_states).where(lead_states.c.workspace_id == workspace_id)
        if state is not None:
            query = query.where(lead_states.c.state == state)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(lead_states.c.contact_id).limit(limit)).all()
        return [_state(r) for r in rows]

    def history(
        self, workspace_id: int, contact_ids: Sequence[int] | None = None
    ) -> list[Transition]:
        """Transitions in stored order (of some contacts, or of the whole workspace)."""
        query = select(lead_transitions).where(lead_transitions.c.workspace_id == workspace_id)
        if contact_ids is not None:
            query = query.where(lead_transitions.c.contact_id.in_(list(contact_ids)))
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(lead_transitions.c.id)).all()
        return [_transition(r) for r in rows]

    def qualifications(self, workspace_id: int, contact_id: int) -> list[QualificationRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(qualifications)
                .where(
                    qualifications.c.workspace_id == workspace_id,
                    qualifications.c.contact_id == contact_id,
                )
                .order_by(qualifications.c.id)
            ).all()
        return [
            QualificationRecord(
                r.id,
                r.contact_id,
                r.cycle,
                r.rule_version,
                r.score,
                tuple(json.loads(r.reasons_json)),
                as_utc(r.as_of) or utcnow(),
                as_utc(r.qualified_at) or utcnow(),
            )
            for r in rows
        ]


def _first_consumed(conn: Connection, workspace_id: int, contact_id: int) -> datetime | None:
    """The contact's earliest profiled consumption, anonymous history joined by a merge.

    A contact imported or identified after it started reading was first touched then, not
    when its row was created; the nurture period counts from that first touch.
    """
    s, i = profile_states.c, identities.c
    mine = select(i.id).where(i.contact_id == contact_id, i.workspace_id == workspace_id)
    first_ms = conn.execute(
        select(func.min(s.first_at_ms)).where(
            s.workspace_id == workspace_id, s.identity_id.in_(mine)
        )
    ).scalar()
    return None if first_ms is None else datetime.fromtimestamp(int(first_ms) / 1000, UTC)


def _state(row: Row[tuple[object, ...]]) -> LeadState:
    m = row._mapping
    return LeadState(
        int(m["contact_id"]), str(m["state"]), int(m["cycle"]), as_utc(m["since"]) or utcnow()
    )


def _transition(row: Row[tuple[object, ...]]) -> Transition:
    m = row._mapping
    return Transition(
        contact_id=int(m["contact_id"]),
        from_state=None if m["from_state"] is None else str(m["from_state"]),
        to_state=str(m["to_state"]),
        at=as_utc(m["at"]) or utcnow(),
        cycle=int(m["cycle"]),
        actor=Actor(str(m["actor_kind"]), None if m["actor_id"] is None else str(m["actor_id"])),
        reason=None if m["reason"] is None else str(m["reason"]),
        rule_version=None if m["rule_version"] is None else int(m["rule_version"]),
    )
