"""Rule versions and their approvals: every version stays readable, one is active.

Approval runs in one write transaction with the version row locked (``FOR UPDATE`` on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so two approvers racing cannot both miss that
the other side signed, and activation supersedes the previous version in the same commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, Row, select, update
from sqlalchemy.sql.selectable import Select

from leadloop.domain.approval import Signature, is_agreed, needs_signature
from leadloop.errors import ConflictError, NotFoundError
from leadloop.store.engine import as_utc, is_sqlite, utcnow
from leadloop.store.tables import rule_approvals, rule_versions, users
from leadloop.store.users import User


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    role: str
    email: str
    approved_at: datetime
    sha256: str


@dataclass(frozen=True, slots=True)
class RuleVersionRecord:
    """One stored version of the sales-ready agreement."""

    id: int
    version: int
    name: str
    yaml_text: str
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    status: str
    activated_at: datetime | None
    superseded_at: datetime | None
    approvals: tuple[ApprovalRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class ApprovalResult:
    record: RuleVersionRecord
    recorded: bool
    activated: bool


def _versions() -> Select[tuple[object, ...]]:
    return select(rule_versions, users.c.email.label("uploader")).join(
        users, users.c.id == rule_versions.c.uploaded_by
    )


class SqlRuleStore:
    """Store, read and approve rule versions of a workspace."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _write(self) -> Connection:
        return self.engine.connect().execution_options(sqlite_immediate=True)

    def insert(
        self, workspace_id: int, version: int, name: str, text: str, sha256: str, user: User
    ) -> tuple[RuleVersionRecord, bool]:
        """Store a new draft; the same text again is a no-op (``False``), other text a conflict."""
        with self._write() as conn, conn.begin():
            existing = self._row(conn, workspace_id, version)
            if existing is not None:
                if existing.sha256 != sha256:
                    latest = self._latest(conn, workspace_id)
                    raise ConflictError(
                        f"rule version {version} already exists with different content; "
                        f"bump `version:` in the file (latest is {latest})",
                        version=version,
                    )
                return self._record(conn, existing), False
            conn.execute(
                rule_versions.insert().values(
                    workspace_id=workspace_id,
                    version=version,
                    name=name,
                    yaml_text=text,
                    sha256=sha256,
                    uploaded_by=user.id,
                    uploaded_at=utcnow(),
                    status="draft",
                )
            )
            row = self._row(conn, workspace_id, version)
            assert row is not None
            return self._record(conn, row), True

    def get(self, workspace_id: int, version: int) -> RuleVersionRecord:
        with self.engine.connect() as conn:
            row = self._row(conn, workspace_id, version)
            if row is None:
                raise NotFoundError(
                    f"rule version {version} does not exist; `leadloop rules list` shows them",
                    version=version,
                )
            return self._record(conn, row)

    def list(self, workspace_id: int) -> list[RuleVersionRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                _versions()
                .where(rule_versions.c.workspace_id == workspace_id)
                .order_by(rule_versions.c.version)
            ).all()
            return [self._record(conn, r) for r in rows]

    def active(self, workspace_id: int) -> RuleVersionRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                _versions().where(
                    rule_versions.c.workspace_id == workspace_id,
                    rule_versions.c.status == "active",
                )
            ).first()
            return None if row is None else self._record(conn, row)

    def approve(self, workspace_id: int, version: int, user: User, role: str) -> ApprovalResult:
        """Record ``user``'s approval for ``role``; activate when both sides have signed."""
        with self._write() as conn, conn.begin():
            row = self._row(conn, workspace_id, version, lock=True)
            if row is None:
                raise NotFoundError(f"rule version {version} does not exist", version=version)
            signatures = self._signatures(conn, row.id)
            if not needs_signature(version, row.sha256, signatures, user.id, role):
                return ApprovalResult(self._record(conn, row), recorded=False, activated=False)
            now = utcnow()
            conn.execute(
                rule_approvals.insert().values(
                    rule_version_id=row.id,
                    role=role,
                    user_id=user.id,
                    sha256=row.sha256,
                    approved_at=now,
                )
            )
            signatures[role] = Signature(role, user.id, row.sha256)
            activated = row.status == "draft" and is_agreed(signatures)
            if activated:
                self._activate(conn, workspace_id, row.id, now)
            fresh = self._row(conn, workspace_id, version)
            assert fresh is not None
            return ApprovalResult(self._record(conn, fresh), recorded=True, activated=activated)

    def _activate(
        self, conn: Connection, workspace_id: int, version_id: int, now: datetime
    ) -> None:
        conn.execute(
            update(rule_versions)
            .where(rule_versions.c.workspace_id == workspace_id, rule_versions.c.status == "active")
            .values(status="superseded", superseded_at=now)
        )
        conn.execute(
            update(rule_versions)
            .where(rule_versions.c.id == version_id)
            .values(status="active", activated_at=now)
        )

    def _row(
        self, conn: Connection, workspace_id: int, version: int, *, lock: bool = False
    ) -> Row[tuple[object, ...]] | None:
        query = _versions().where(
            rule_versions.c.workspace_id == workspace_id, rule_versions.c.version == version
        )
        if lock and not is_sqlite(self.engine):
            query = query.with_for_update(of=rule_versions)
        return conn.execute(query).first()

    def _latest(self, conn: Connection, workspace_id: int) -> int:
        rows = conn.execute(
            select(rule_versions.c.version).where(rule_versions.c.workspace_id == workspace_id)
        ).scalars()
        return max((int(v) for v in rows), default=0)

    def _signatures(self, conn: Connection, version_id: int) -> dict[str, Signature]:
        rows = conn.execute(
            select(rule_approvals).where(rule_approvals.c.rule_version_id == version_id)
        ).all()
        return {r.role: Signature(r.role, r.user_id, r.sha256) for r in rows}

    def _record(self, conn: Connection, row: Row[tuple[object, ...]]) -> RuleVersionRecord:
        approvals = conn.execute(
            select(rule_approvals, users.c.email)
            .join(users, users.c.id == rule_approvals.c.user_id)
            .where(rule_approvals.c.rule_version_id == row.id)
            .order_by(rule_approvals.c.approved_at, rule_approvals.c.id)
        ).all()
        m = row._mapping
        return RuleVersionRecord(
            id=int(m["id"]),
            version=int(m["version"]),
            name=str(m["name"]),
            yaml_text=str(m["yaml_text"]),
            sha256=str(m["sha256"]),
            uploaded_by=str(m["uploader"]),
            uploaded_at=as_utc(m["uploaded_at"]) or utcnow(),
            status=str(m["status"]),
            activated_at=as_utc(m["activated_at"]),
            superseded_at=as_utc(m["superseded_at"]),
            approvals=tuple(
                ApprovalRecord(a.role, a.email, as_utc(a.approved_at) or utcnow(), a.sha256)
                for a in approvals
            ),
        )
