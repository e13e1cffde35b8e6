"""Set-based account upserts for one import chunk: match, refuse conflicts, insert, update."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, select

from leadloop.store.engine import utcnow
from leadloop.store.ingest import Rejected
from leadloop.store.records import (
    ACCOUNT_KEYS,
    UNIQUE_ACCOUNT_COLUMNS,
    AccountRecord,
    UpsertResult,
    chunks,
    traits_json,
)
from leadloop.store.tables import accounts

_ACCOUNT_COLUMNS = (
    accounts.c.id,
    accounts.c.name,
    accounts.c.domain,
    accounts.c.crm_id,
    accounts.c.group_id,
    accounts.c.traits_json,
)


class AccountWriter:
    """One chunk of account upserts inside one transaction: plan in memory, then write
    the new rows with one executemany and the changed ones with another."""

    def __init__(self, conn: Connection, workspace_id: int, key: str, source: str) -> None:
        self.conn = conn
        self.workspace_id = workspace_id
        self.key = key
        self.source = source
        self.rows: dict[int, dict[str, Any]] = {}
        self.owner: dict[str, dict[str, int]] = {c: {} for c in (*UNIQUE_ACCOUNT_COLUMNS, "name")}
        self.changed: set[int] = set()
        self._next_new = -1

    def _load(self, column: str, values: set[str]) -> None:
        col = accounts.c[column]
        for part in chunks(sorted(values)):
            for row in self.conn.execute(
                select(*_ACCOUNT_COLUMNS)
                .where(accounts.c.workspace_id == self.workspace_id, col.in_(part))
                .order_by(accounts.c.id.desc())
            ):
                self._remember(dict(row._mapping))

    def _remember(self, row: dict[str, Any]) -> None:
        self.rows[int(row["id"])] = row
        for column, owners in self.owner.items():
            if row.get(column):
                owners[str(row[column])] = int(row["id"])

    def write(self, records: list[AccountRecord]) -> UpsertResult:
        for column in (*UNIQUE_ACCOUNT_COLUMNS, "name"):
            if column == "name" and self.key != "name":
                continue
            wanted = {getattr(r, column) for r in records if getattr(r, column)}
            if wanted:
                self._load(column, wanted)
        created = updated = unchanged = 0
        refused: list[Rejected] = []
        for r in records:
            target = self.owner[self.key].get(getattr(r, self.key))
            if target is None and r.domain:
                target = self._adoptable(self.owner["domain"].get(r.domain))
            conflict = self._conflict(r, target)
            if conflict:
                raw = orjson.dumps(_record_json(r)).decode()
                refused.append(Rejected(self.source, conflict, raw, r.line))
            elif target is None:
                self._plan_insert(r)
                created += 1
            elif self._plan_update(target, r):
                updated += 1
            else:
                unchanged += 1
        self._flush()
        return UpsertResult(created, updated, unchanged, refused)

    def _adoptable(self, account_id: int | None) -> int | None:
        """An account found by domain that a record may take over: it has no key value yet
        (an account made from visitors' e-mail domains is named after its domain)."""
        if account_id is None:
            return None
        row = self.rows[account_id]
        value = row.get(self.key)
        return account_id if not value or (self.key == "name" and value == row["domain"]) else None

    def _conflict(self, r: AccountRecord, target: int | None) -> str | None:
        for column in UNIQUE_ACCOUNT_COLUMNS:
            value = getattr(r, column)
            owner = self.owner[column].get(value) if value else None
            if owner is not None and owner != target:
                other = self.rows[owner]
                where = f"account {owner}" if owner > 0 else f"line {other['line']}"
                hint = f", or import with --key {column}" if column in ACCOUNT_KEYS else ""
                return (
                    f"{column} {value!r} already belongs to {where} ({other['name']!r}); "
                    f"fix the row{hint}"
                )
        return None

    def _plan_insert(self, r: AccountRecord) -> None:
        self._remember(
            {
                "id": self._next_new,
                "name": r.name or r.domain,
                "domain": r.domain,
                "crm_id": r.crm_id,
                "group_id": r.group_id,
                "traits_json": traits_json(r.traits),
                "line": r.line,
            }
        )
        self._next_new -= 1

    def _plan_update(self, target: int, r: AccountRecord) -> bool:
        row = self.rows[target]
        traits = {**orjson.loads(row["traits_json"] or "{}"), **r.traits}
        domain = r.domain or row["domain"]
        new = {
            "name": r.name or row["name"] or domain,
            "domain": domain,
            "crm_id": r.crm_id or row["crm_id"],
            "group_id": r.group_id or row["group_id"],
            "traits_json": traits_json(traits),
        }
        if all(new[k] == row[k] for k in new):
            return False
        self._remember({**row, **new})
        if target > 0:
            self.changed.add(target)
        return True

    def _flush(self) -> None:
        now = utcnow()
        columns = ("name", "domain", "crm_id", "group_id", "traits_json")
        new = [
            {"workspace_id": self.workspace_id, **{c: row[c] for c in columns}}
            for account_id, row in sorted(self.rows.items(), reverse=True)
            if account_id < 0
        ]
        if new:
            self.conn.execute(
                accounts.insert(), [{**row, "created_at": now, "updated_at": now} for row in new]
            )
        if self.changed:
            self.conn.execute(
                accounts.update()
                .where(accounts.c.id == bindparam("b_id"))
                .values({c: bindparam(c) for c in (*columns, "updated_at")}),
                [
                    {"b_id": i, **{c: self.rows[i][c] for c in columns}, "updated_at": now}
                    for i in sorted(self.changed)
                ],
            )


def _record_json(r: AccountRecord) -> dict[str, Any]:
    return {
        "name": r.name,
        "domain": r.domain,
        "crm_id": r.crm_id,
        "group_id": r.group_id,
        "traits": r.traits,
    }
