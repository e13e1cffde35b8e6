"""SQL implementation of the identity repository, bound to one open transaction."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, select, update

from leadloop.domain.identity import ContactRef
from leadloop.store.engine import db_time, utcnow
from leadloop.store.tables import accounts, contacts, identities

_LOOKUP_CHUNK = 500


class SqlIdentityRepository:
    """Identity and contact operations for one workspace inside the caller's transaction.

    The hot paths (look-ups and bulk creation of new people) use plain driver SQL: building
    SQLAlchemy statements costs more than running them at ingest rates.
    """

    def __init__(self, workspace_id: int) -> None:
        self.workspace_id = workspace_id
        self.conn: Connection | None = None
        self._mark = "?"

    def bind(self, conn: Connection) -> None:
        self.conn = conn
        self._mark = "?" if conn.dialect.name == "sqlite" else "%s"
        # The driver's own cursor on the same connection and transaction: single-row
        # statements through SQLAlchemy cost ~10x more than running them.
        self._cursor: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]

    @property
    def _c(self) -> Connection:
        assert self.conn is not None, "bind() the repository to a transaction first"
        return self.conn

    def _now(self) -> object:
        return db_time(self._c.engine, utcnow())

    def find_identity(self, kind: str, value: str) -> int | None:
        return self.find_identities(kind, [value]).get(value)

    def find_identities(self, kind: str, values: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        m = self._mark
        for i in range(0, len(values), _LOOKUP_CHUNK):
            chunk = values[i : i + _LOOKUP_CHUNK]
            sql = (
                f"SELECT value, id FROM identities WHERE workspace_id = {m} AND kind = {m} "
                f"AND value IN ({', '.join([m] * len(chunk))})"
            )
            for value, identity_id in self._c.exec_driver_sql(
                sql, (self.workspace_id, kind, *chunk)
            ):
                out[str(value)] = int(identity_id)
        return out

    def _next_ids(self, table: str, n: int) -> list[int]:
        """Ids for ``n`` new rows. SQLite: the write lock is held, so max+1.. is ours."""
        c = self._c
        if c.dialect.name == "sqlite":
            top = c.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table}").scalar_one()
            return list(range(int(top) + 1, int(top) + 1 + n))
        rows = c.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
            f"FROM generate_series(1, {int(n)})"
        )
        return [int(r[0]) for r in rows]

    def create_people(self, kind: str, values: list[str]) -> dict[str, int]:
        if not values:
            return {}
        m = self._mark
        now = self._now()
        status = "known" if kind == "user" else "anonymous"
        contact_ids = self._next_ids("contacts", len(values))
        identity_ids = self._next_ids("identities", len(values))
        self._c.exec_driver_sql(
            "INSERT INTO contacts (id, workspace_id, status, created_at, updated_at) "
            f"VALUES ({m}, {m}, {m}, {m}, {m})",
            [(cid, self.workspace_id, status, now, now) for cid in contact_ids],
        )
        self._c.exec_driver_sql(
            "INSERT INTO identities (id, workspace_id, kind, value, contact_id, created_at) "
            f"VALUES ({m}, {m}, {m}, {m}, {m}, {m})",
            [
                (iid, self.workspace_id, kind, v, cid, now)
                for iid, v, cid in zip(identity_ids, values, contact_ids, strict=True)
            ],
        )
        return dict(zip(values, identity_ids, strict=True))

    def _one(self, sql: str, *params: object) -> tuple[object, ...] | None:
        """First row of a plain SQL statement; ``?`` marks become the driver's."""
        if self._mark != "?":
            sql = sql.replace("?", self._mark)
        cur = self._cursor
        cur.execute(sql, params)
        row = cur.fetchone()
        return None if row is None else tuple(row)

    def _run(self, sql: str, *params: object) -> None:
        if self._mark != "?":
            sql = sql.replace("?", self._mark)
        self._cursor.execute(sql, params)

    def create_identity(self, kind: str, value: str, contact_id: int) -> int:
        row = self._one(
            "INSERT INTO identities (workspace_id, kind, value, contact_id, created_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            self.workspace_id, kind, value, contact_id, self._now(),
        )  # fmt: skip
        assert row is not None
        return int(str(row[0]))

    def contact_of(self, identity_id: int) -> ContactRef:
        row = self._one(
            "SELECT c.id, c.status, c.email FROM identities i JOIN contacts c "
            "ON c.id = i.contact_id WHERE i.id = ?",
            identity_id,
        )
        assert row is not None, f"identity {identity_id} does not exist"
        email = row[2]
        return ContactRef(
            id=int(str(row[0])), known=row[1] == "known", email=str(email) if email else None
        )

    def create_contact(self, known: bool) -> int:
        now = utcnow()
        result = self._c.execute(
            contacts.insert().values(
                workspace_id=self.workspace_id,
                status="known" if known else "anonymous",
                created_at=now,
                updated_at=now,
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def find_contact_by_email(self, email: str) -> int | None:
        row = self._one(
            "SELECT id FROM contacts WHERE workspace_id = ? AND email = ?", self.workspace_id, email
        )
        return None if row is None else int(str(row[0]))

    def update_contact(
        self, contact_id: int, *, email: str | None, name: str | None, topics: tuple[str, ...]
    ) -> None:
        row = self._one("SELECT email, topics_json FROM contacts WHERE id = ?", contact_id)
        assert row is not None, f"contact {contact_id} does not exist"
        old_email, old_topics = row
        values: dict[str, object] = {"status": "known", "updated_at": self._now()}
        if email is not None and email != old_email:
            values["email"] = email
        if name is not None:
            values["name"] = name
        if topics:
            merged = sorted(set(orjson.loads(str(old_topics or "[]"))) | set(topics))
            values["topics_json"] = orjson.dumps(merged).decode()
        assignments = ", ".join(f"{column} = ?" for column in values)
        self._run(f"UPDATE contacts SET {assignments} WHERE id = ?", *values.values(), contact_id)

    def merge_contacts(self, loser: int, survivor: int) -> None:
        """Fold ``loser`` into ``survivor``: identities move, fields fill gaps, nothing is lost."""
        c = self._c
        lose = c.execute(select(contacts).where(contacts.c.id == loser)).one()
        keep = c.execute(select(contacts).where(contacts.c.id == survivor)).one()
        now = utcnow()
        c.execute(
            update(identities).where(identities.c.contact_id == loser).values(contact_id=survivor)
        )
        c.execute(
            update(contacts)
            .where(contacts.c.merged_into_id == loser)
            .values(merged_into_id=survivor, updated_at=now)
        )
        c.execute(
            update(contacts)
            .where(contacts.c.id == loser)
            .values(merged_into_id=survivor, email=None, updated_at=now)
        )
        topics = sorted(
            set(orjson.loads(keep.topics_json or "[]"))
            | set(orjson.loads(lose.topics_json or "[]"))
        )
        known = keep.status == "known" or lose.status == "known"
        c.execute(
            update(contacts)
            .where(contacts.c.id == survivor)
            .values(
                email=keep.email or lose.email,
                name=keep.name or lose.name,
                account_id=keep.account_id or lose.account_id,
                persona=keep.persona or lose.persona,
                crm_id=keep.crm_id or lose.crm_id,
                topics_json=orjson.dumps(topics).decode() if topics else None,
                status="known" if known else "anonymous",
                updated_at=now,
            )
        )

    def account_for_domain(self, domain: str) -> int:
        row = self._one(
            "SELECT id FROM accounts WHERE workspace_id = ? AND domain = ?",
            self.workspace_id, domain,
        )  # fmt: skip
        if row is not None:
            return int(str(row[0]))
        return self._new_account(domain=domain, group_id=None, name=None)

    def account_for_group(self, group_id: str, name: str | None, domain: str | None) -> int:
        ws = self.workspace_id
        row = self._one(
            "SELECT id, name FROM accounts WHERE workspace_id = ? AND group_id = ?", ws, group_id
        )
        adopt = row is None  # an account known by its domain gets the group id
        if row is None and domain is not None:
            row = self._one(
                "SELECT id, name FROM accounts WHERE workspace_id = ? AND domain = ? "
                "AND group_id IS NULL",
                ws, domain,
            )  # fmt: skip
        if row is None:
            taken = domain is not None and self._one(
                "SELECT id FROM accounts WHERE workspace_id = ? AND domain = ?", ws, domain
            )
            return self._new_account(domain=None if taken else domain, group_id=group_id, name=name)
        account_id, old_name = int(str(row[0])), row[1]
        if adopt or (name and name != old_name):
            self._run(
                "UPDATE accounts SET group_id = ?, name = ?, updated_at = ? WHERE id = ?",
                group_id, name or old_name, self._now(), account_id,
            )  # fmt: skip
        return account_id

    def _new_account(self, *, domain: str | None, group_id: str | None, name: str | None) -> int:
        now = utcnow()
        result = self._c.execute(
            accounts.insert().values(
                workspace_id=self.workspace_id,
                domain=domain,
                group_id=group_id,
                name=name or domain,
                created_at=now,
                updated_at=now,
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def set_account(self, contact_id: int, account_id: int, *, override: bool) -> None:
        only_unset = "" if override else " AND account_id IS NULL"
        self._run(
            f"UPDATE contacts SET account_id = ? WHERE id = ?{only_unset}", account_id, contact_id
        )
