"""Sales reps, account owners and each workspace's assignment policy and cursors.

Reads and writes take a ``Connection`` so that a hand-off assigns its owner inside the
caller's transaction; :class:`SqlReps` wraps them for the CLI and API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadloop.domain.assignment import AssignmentPolicy, SalesRep, parse_policy
from leadloop.errors import ConflictError, NotFoundError, ValidationError
from leadloop.store.engine import utcnow, write_transaction
from leadloop.store.tables import (
    account_owners,
    accounts,
    assignment_cursors,
    assignment_policies,
    sales_reps,
)


def _rep(row: Any) -> SalesRep:
    return SalesRep(int(row.id), row.name, row.email, row.manager_id, bool(row.active))


def load_reps(conn: Connection, workspace_id: int) -> list[SalesRep]:
    rows = conn.execute(
        select(sales_reps)
        .where(sales_reps.c.workspace_id == workspace_id)
        .order_by(sales_reps.c.id)
    )
    return [_rep(r) for r in rows]


def rep_by_email(conn: Connection, workspace_id: int, email: str) -> SalesRep:
    row = conn.execute(
        select(sales_reps).where(
            sales_reps.c.workspace_id == workspace_id, sales_reps.c.email == email.strip().lower()
        )
    ).first()
    if row is None:
        raise NotFoundError(
            f"no sales rep {email!r} in this workspace; add one with `leadloop rep add {email}`",
            email=email,
        )
    return _rep(row)


def load_policy(conn: Connection, workspace_id: int) -> AssignmentPolicy:
    row = conn.execute(
        select(assignment_policies.c.policy_json).where(
            assignment_policies.c.workspace_id == workspace_id
        )
    ).first()
    return parse_policy(orjson.loads(row[0]) if row else None)


def account_owner(conn: Connection, account_id: int | None) -> int | None:
    if account_id is None:
        return None
    row = conn.execute(
        select(account_owners.c.rep_id).where(account_owners.c.account_id == account_id)
    ).first()
    return None if row is None else int(row[0])


def load_cursors(conn: Connection, workspace_id: int) -> dict[str, int]:
    """Round-robin positions (read under :func:`lock_assignment`)."""
    query = select(assignment_cursors.c.pool, assignment_cursors.c.last_rep_id).where(
        assignment_cursors.c.workspace_id == workspace_id
    )
    return {str(pool): int(rep) for pool, rep in conn.execute(query)}


def save_cursor(conn: Connection, workspace_id: int, pool: str, rep_id: int) -> None:
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(assignment_cursors).values(
        workspace_id=workspace_id, pool=pool, last_rep_id=rep_id
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["workspace_id", "pool"], set_={"last_rep_id": rep_id}
        )
    )


def lock_assignment(conn: Connection, workspace_id: int) -> None:
    """One hand-off at a time per workspace picks from the rotation (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "SELECT pg_advisory_xact_lock(hashtext('leadloop.assign'), %(ws)s)",
            {"ws": workspace_id},
        )


class SqlReps:
    """Manage reps, account owners and the policy (CLI and API)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(
        self, workspace_id: int, email: str, name: str | None = None, manager: str | None = None
    ) -> SalesRep:
        email = email.strip().lower()
        if "@" not in email:
            raise ValidationError(f"rep e-mail {email!r} is not an e-mail address")
        with write_transaction(self.engine) as conn:
            manager_id = rep_by_email(conn, workspace_id, manager).id if manager else None
            exists = conn.execute(
                select(sales_reps.c.id).where(
                    sales_reps.c.workspace_id == workspace_id, sales_reps.c.email == email
                )
            ).first()
            if exists:
                raise ConflictError(f"sales rep {email} already exists", email=email)
            result = conn.execute(
                sales_reps.insert().values(
                    workspace_id=workspace_id,
                    name=name or email.split("@")[0],
                    email=email,
                    manager_id=manager_id,
                    active=True,
                    created_at=utcnow(),
                )
            )
            assert result.inserted_primary_key is not None
            return rep_by_email(conn, workspace_id, email)

    def list(self, workspace_id: int) -> list[SalesRep]:
        with self.engine.connect() as conn:
            return load_reps(conn, workspace_id)

    def set_active(self, workspace_id: int, email: str, active: bool) -> SalesRep:
        with write_transaction(self.engine) as conn:
            rep = rep_by_email(conn, workspace_id, email)
            conn.execute(update(sales_reps).where(sales_reps.c.id == rep.id).values(active=active))
            return rep_by_email(conn, workspace_id, email)

    def set_policy(self, workspace_id: int, document: Mapping[str, Any]) -> AssignmentPolicy:
        """Validate and store the policy; territory reps must exist."""
        try:
            policy = parse_policy(document)
        except ValueError as exc:
            raise ValidationError(f"assignment policy: {exc}") from None
        with write_transaction(self.engine) as conn:
            for rule in policy.territories:
                for email in rule.reps:
                    rep_by_email(conn, workspace_id, email)
            conn.execute(
                assignment_policies.delete().where(
                    assignment_policies.c.workspace_id == workspace_id
                )
            )
            conn.execute(
                assignment_policies.insert().values(
                    workspace_id=workspace_id,
                    policy_json=orjson.dumps(dict(document)).decode(),
                    updated_at=utcnow(),
                )
            )
        return policy

    def policy(self, workspace_id: int) -> AssignmentPolicy:
        with self.engine.connect() as conn:
            return load_policy(conn, workspace_id)

    def set_account_owner(self, workspace_id: int, account_id: int, email: str) -> None:
        with write_transaction(self.engine) as conn:
            rep = rep_by_email(conn, workspace_id, email)
            found = conn.execute(
                select(accounts.c.id).where(
                    accounts.c.id == account_id, accounts.c.workspace_id == workspace_id
                )
            ).first()
            if found is None:
                raise NotFoundError(f"account {account_id} does not exist", account_id=account_id)
            conn.execute(account_owners.delete().where(account_owners.c.account_id == account_id))
            conn.execute(
                account_owners.insert().values(
                    account_id=account_id,
                    workspace_id=workspace_id,
                    rep_id=rep.id,
                    updated_at=utcnow(),
                )
            )
