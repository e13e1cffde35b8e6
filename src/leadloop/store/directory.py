"""Contacts and accounts written in bulk: upserts keyed by e-mail, domain, name or CRM id.

Each call takes one chunk of records and writes it in one transaction, together with the
chunk's rejects, so an import interrupted at any point can simply be run again. Look-ups
and writes are set-based (one ``IN`` query and one executemany per table and chunk), never
one statement per row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, bindparam, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from leadloop.errors import StoreError
from leadloop.store.account_writer import AccountWriter
from leadloop.store.engine import utcnow
from leadloop.store.ingest import Rejected
from leadloop.store.records import (
    ACCOUNT_KEYS,
    AccountRecord,
    ContactRecord,
    UpsertResult,
    chunks,
    fold_account,
    fold_contact,
    topics_json,
)
from leadloop.store.tables import accounts, contacts, quarantine

logger = logging.getLogger(__name__)


class SqlDirectory:
    """Bulk upserts of contacts and accounts for imports, plus quarantine bookkeeping."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                conn.execution_options(sqlite_immediate=True)
                with conn.begin():
                    yield conn
        except SQLAlchemyError as exc:
            logger.error("directory.write_failed", extra={"fields": {"error": str(exc)[:200]}})
            raise StoreError(f"could not store the chunk: {exc.__class__.__name__}") from exc

    def _retrying(self, work: Callable[[Connection], UpsertResult]) -> UpsertResult:
        """Run ``work`` in a transaction; retry once when a concurrent writer took a key."""
        for attempt in (1, 2):
            try:
                with self._transaction() as conn:
                    return work(conn)
            except StoreError as exc:
                if attempt == 2 or not isinstance(exc.__cause__, IntegrityError):
                    raise
        raise AssertionError("unreachable")

    # -- quarantine ----------------------------------------------------------------------

    def new_rejects(self, workspace_id: int, rejected: Sequence[Rejected]) -> list[Rejected]:
        """The rejects not already in quarantine (same source, line and raw text).

        Rerunning an import must add nothing, rejects included.
        """
        if not rejected:
            return []
        with self.engine.connect() as conn:
            return self._new_rejects(conn, workspace_id, rejected)

    def _new_rejects(
        self, conn: Connection, workspace_id: int, rejected: Sequence[Rejected]
    ) -> list[Rejected]:
        seen: set[tuple[str, int | None, str]] = set()
        for source in {r.source for r in rejected}:
            lines = sorted({r.line for r in rejected if r.source == source and r.line is not None})
            for part in chunks(lines):
                rows = conn.execute(
                    select(quarantine.c.line, quarantine.c.raw).where(
                        quarantine.c.workspace_id == workspace_id,
                        quarantine.c.source == source,
                        quarantine.c.line.in_(part),
                    )
                )
                seen.update((source, int(line), str(raw)) for line, raw in rows)
        return [r for r in rejected if (r.source, r.line, r.raw) not in seen]

    def _quarantine(self, conn: Connection, workspace_id: int, rejected: list[Rejected]) -> None:
        fresh = self._new_rejects(conn, workspace_id, rejected)
        if fresh:
            now = utcnow()
            conn.execute(
                quarantine.insert(),
                [
                    {
                        "workspace_id": workspace_id,
                        "source": r.source,
                        "line": r.line,
                        "reason": r.reason,
                        "raw": r.raw,
                        "received_at": now,
                    }
                    for r in fresh
                ],
            )

    # -- contacts ------------------------------------------------------------------------

    def upsert_contacts(
        self, workspace_id: int, records: Sequence[ContactRecord], rejected: Sequence[Rejected]
    ) -> UpsertResult:
        """Create or update contacts by e-mail; imported contacts are ``known``.

        A later field value replaces an earlier one, topics accumulate, and a contact keeps
        the account it has unless the record names one explicitly.
        """
        folded: dict[str, ContactRecord] = {}
        for record in records:
            prev = folded.get(record.email)
            folded[record.email] = record if prev is None else fold_contact(prev, record)
        repeats = len(records) - len(folded)

        def work(conn: Connection) -> UpsertResult:
            result = self._write_contacts(conn, workspace_id, list(folded.values()))
            self._quarantine(conn, workspace_id, list(rejected))
            return UpsertResult(result.created, result.updated, result.unchanged + repeats)

        return self._retrying(work)

    def _write_contacts(
        self, conn: Connection, workspace_id: int, records: list[ContactRecord]
    ) -> UpsertResult:
        by_domain = self._accounts_by_domain(
            conn,
            workspace_id,
            {r.account_domain: r.account_name for r in records if r.account_domain},
            {r.derived_domain for r in records if r.derived_domain and not r.account_name},
        )
        by_name = self._accounts_by_name(
            conn, workspace_id, {r.account_name for r in records if r.account_name}
        )
        existing = self._contacts_by_email(conn, workspace_id, [r.email for r in records])
        now = utcnow()
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        unchanged = 0
        for r in records:
            explicit = by_domain.get(r.account_domain or "") or (
                None if r.account_domain else by_name.get(r.account_name or "")
            )
            derived = by_domain.get(r.derived_domain or "")
            row = existing.get(r.email)
            if row is None:
                inserts.append(
                    {
                        "workspace_id": workspace_id,
                        "status": "known",
                        "email": r.email,
                        "name": r.name,
                        "topics_json": topics_json(r.topics),
                        "account_id": explicit or derived,
                        "persona": r.persona,
                        "crm_id": r.crm_id,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                continue
            old_topics = orjson.loads(row.topics_json or "[]")
            new = {
                "b_id": row.id,
                "name": r.name or row.name,
                "topics_json": topics_json([*old_topics, *r.topics]),
                "account_id": explicit or row.account_id or derived,
                "persona": r.persona or row.persona,
                "crm_id": r.crm_id or row.crm_id,
            }
            current = {
                "b_id": row.id,
                "name": row.name,
                "topics_json": topics_json(old_topics),
                "account_id": row.account_id,
                "persona": row.persona,
                "crm_id": row.crm_id,
            }
            if new == current and row.status == "known":
                unchanged += 1
            else:
                updates.append({**new, "status": "known", "updated_at": now})
        if inserts:
            conn.execute(contacts.insert(), inserts)
        if updates:
            stmt = (
                contacts.update()
                .where(contacts.c.id == bindparam("b_id"))
                .values({k: bindparam(k) for k in updates[0] if k != "b_id"})
            )
            conn.execute(stmt, updates)
        return UpsertResult(len(inserts), len(updates), unchanged)

    def _contacts_by_email(
        self, conn: Connection, workspace_id: int, emails: list[str]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        cols = contacts.c
        for part in chunks(emails):
            for row in conn.execute(
                select(
                    cols.id,
                    cols.email,
                    cols.status,
                    cols.name,
                    cols.topics_json,
                    cols.account_id,
                    cols.persona,
                    cols.crm_id,
                ).where(cols.workspace_id == workspace_id, cols.email.in_(part))
            ):
                out[str(row.email)] = row
        return out

    def _accounts_by_domain(
        self,
        conn: Connection,
        workspace_id: int,
        named: dict[str, str | None],
        derived: set[str],
    ) -> dict[str, int]:
        """Account ids for domains, creating the missing ones (named or named after the domain).

        An account first created from an e-mail domain is named after its domain; a record
        that gives the real name fills it in.
        """
        wanted = sorted(set(named) | derived)
        found = self._select_accounts(conn, workspace_id, "domain", wanted)
        now = utcnow()
        renames = [
            {"b_id": found[d][0], "name": name, "updated_at": now}
            for d, name in named.items()
            if name and d in found and found[d][1] in (None, d) and name != found[d][1]
        ]
        if renames:
            conn.execute(
                accounts.update()
                .where(accounts.c.id == bindparam("b_id"))
                .values(name=bindparam("name"), updated_at=bindparam("updated_at")),
                renames,
            )
        missing = [d for d in wanted if d not in found]
        if missing:
            conn.execute(
                accounts.insert(),
                [
                    {
                        "workspace_id": workspace_id,
                        "domain": d,
                        "name": named.get(d) or d,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for d in missing
                ],
            )
            found.update(self._select_accounts(conn, workspace_id, "domain", missing))
        return {d: found[d][0] for d in found}

    def _accounts_by_name(
        self, conn: Connection, workspace_id: int, names: set[str]
    ) -> dict[str, int]:
        """Account ids by exact name (the oldest account when several share it)."""
        wanted = sorted(names)
        found = self._select_accounts(conn, workspace_id, "name", wanted)
        missing = [n for n in wanted if n not in found]
        if missing:
            now = utcnow()
            conn.execute(
                accounts.insert(),
                [
                    {"workspace_id": workspace_id, "name": n, "created_at": now, "updated_at": now}
                    for n in missing
                ],
            )
            found.update(self._select_accounts(conn, workspace_id, "name", missing))
        return {n: found[n][0] for n in found}

    @staticmethod
    def _select_accounts(
        conn: Connection, workspace_id: int, column: str, values: list[str]
    ) -> dict[str, tuple[int, str | None]]:
        """``{value: (id, name)}`` of accounts whose ``column`` is in ``values``; oldest wins."""
        col = accounts.c[column]
        out: dict[str, tuple[int, str | None]] = {}
        for part in chunks(values):
            for row in conn.execute(
                select(accounts.c.id, col, accounts.c.name)
                .where(accounts.c.workspace_id == workspace_id, col.in_(part))
                .order_by(accounts.c.id.desc())
            ):
                out[str(row[1])] = (int(row[0]), row[2])
        return out

    # -- accounts ------------------------------------------------------------------------

    def upsert_accounts(
        self,
        workspace_id: int,
        records: Sequence[AccountRecord],
        rejected: Sequence[Rejected],
        *,
        key: str,
        source: str,
    ) -> UpsertResult:
        """Create or update accounts matched by ``key`` (domain, name or crm_id).

        A record not found by its key but whose domain is already known updates that account
        (typically one created from visitors' e-mail domains). A record whose domain or CRM id
        belongs to a different account is refused with the reason, never merged silently.
        """
        if key not in ACCOUNT_KEYS:
            raise ValueError(f"key must be one of {', '.join(ACCOUNT_KEYS)}")
        folded: dict[str, AccountRecord] = {}
        for record in records:
            value = getattr(record, key)
            assert value, "records without their key are rejected before the store"
            prev = folded.get(value)
            folded[value] = record if prev is None else fold_account(prev, record)
        repeats = len(records) - len(folded)

        def work(conn: Connection) -> UpsertResult:
            writer = AccountWriter(conn, workspace_id, key, source)
            result = writer.write(list(folded.values()))
            self._quarantine(conn, workspace_id, [*rejected, *result.rejected])
            return UpsertResult(
                result.created, result.updated, result.unchanged + repeats, result.rejected
            )

        return self._retrying(work)


__all__ = ["ACCOUNT_KEYS", "AccountRecord", "ContactRecord", "SqlDirectory", "UpsertResult"]
