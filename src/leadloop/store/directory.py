"""Contacts and accounts written in bulk: upserts keyed by e-mail, domain, name or CRM id.

Each call takes one chunk of records and writes it in one transaction, together with the
chunk's rejects, so an import interrupted at any point can simply be run again. Look-ups
and writes are set-based (one ``IN`` query and one executemany per table and chunk), never
one statement per row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection, Engine, bindparam, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from leadloop.errors import StoreError
from leadloop.store.engine import utcnow
from leadloop.store.ingest import Rejected
from leadloop.store.tables import accounts, contacts, quarantine

logger = logging.getLogger(__name__)

ACCOUNT_KEYS = ("domain", "name", "crm_id")
_UNIQUE = ("domain", "crm_id", "group_id")
"""Account columns unique per workspace: a record may not take one another account has."""
_IN_CHUNK = 500
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """One contact row of an import, already validated and normalised."""

    email: str
    line: int | None = None
    name: str | None = None
    topics: tuple[str, ...] = ()
    persona: str | None = None
    crm_id: str | None = None
    account_domain: str | None = None
    account_name: str | None = None
    derived_domain: str | None = None
    """The employer's domain taken from the e-mail; used only when no account is given."""


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """One account row of an import, already validated and normalised."""

    line: int | None = None
    name: str | None = None
    domain: str | None = None
    crm_id: str | None = None
    group_id: str | None = None
    traits: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What one chunk did: rows created, changed, already up to date, and refused."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    for i in range(0, len(values), _IN_CHUNK):
        yield values[i : i + _IN_CHUNK]


def _topics_json(topics: Iterable[str]) -> str | None:
    merged = sorted(set(topics))
    return orjson.dumps(merged).decode() if merged else None


def _traits_json(traits: dict[str, Any]) -> str | None:
    return orjson.dumps(traits, option=orjson.OPT_SORT_KEYS).decode() if traits else None


def _fold_contact(old: ContactRecord, new: ContactRecord) -> ContactRecord:
    """Two rows for one e-mail in a chunk: the later value wins, topics accumulate."""
    return ContactRecord(
        email=new.email,
        line=new.line,
        name=new.name or old.name,
        topics=tuple(sorted(set(old.topics) | set(new.topics))),
        persona=new.persona or old.persona,
        crm_id=new.crm_id or old.crm_id,
        account_domain=new.account_domain or old.account_domain,
        account_name=new.account_name or old.account_name,
        derived_domain=new.derived_domain or old.derived_domain,
    )


def _fold_account(old: AccountRecord, new: AccountRecord) -> AccountRecord:
    return AccountRecord(
        line=new.line,
        name=new.name or old.name,
        domain=new.domain or old.domain,
        crm_id=new.crm_id or old.crm_id,
        group_id=new.group_id or old.group_id,
        traits={**old.traits, **new.traits},
    )


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
            for part in _chunks(lines):
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
            folded[record.email] = record if prev is None else _fold_contact(prev, record)
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
                        "topics_json": _topics_json(r.topics),
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
                "topics_json": _topics_json([*old_topics, *r.topics]),
                "account_id": explicit or row.account_id or derived,
                "persona": r.persona or row.persona,
                "crm_id": r.crm_id or row.crm_id,
            }
            current = {
                "b_id": row.id,
                "name": row.name,
                "topics_json": _topics_json(old_topics),
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
        for part in _chunks(emails):
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
        for part in _chunks(values):
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
            folded[value] = record if prev is None else _fold_account(prev, record)
        repeats = len(records) - len(folded)

        def work(conn: Connection) -> UpsertResult:
            writer = _AccountWriter(conn, workspace_id, key, source)
            result = writer.write(list(folded.values()))
            self._quarantine(conn, workspace_id, [*rejected, *result.rejected])
            return UpsertResult(
                result.created, result.updated, result.unchanged + repeats, result.rejected
            )

        return self._retrying(work)


_ACCOUNT_COLUMNS = (
    accounts.c.id,
    accounts.c.name,
    accounts.c.domain,
    accounts.c.crm_id,
    accounts.c.group_id,
    accounts.c.traits_json,
)


class _AccountWriter:
    """One chunk of account upserts inside one transaction: plan in memory, then write
    the new rows with one executemany and the changed ones with another."""

    def __init__(self, conn: Connection, workspace_id: int, key: str, source: str) -> None:
        self.conn = conn
        self.workspace_id = workspace_id
        self.key = key
        self.source = source
        self.rows: dict[int, dict[str, Any]] = {}
        self.owner: dict[str, dict[str, int]] = {c: {} for c in (*_UNIQUE, "name")}
        self.changed: set[int] = set()
        self._next_new = -1

    def _load(self, column: str, values: set[str]) -> None:
        col = accounts.c[column]
        for part in _chunks(sorted(values)):
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
        for column in (*_UNIQUE, "name"):
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
        for column in _UNIQUE:
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
                "traits_json": _traits_json(r.traits),
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
            "traits_json": _traits_json(traits),
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
