"""SQL implementation of the identity repository, bound to one open transaction."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection

from leadloop.domain.identity import ContactRef
from leadloop.store.engine import db_time, utcnow
from leadloop.store.identity_cache import ContactRow, UnitCache
from leadloop.store.tables import contacts

_LOOKUP_CHUNK = 500
_ID_BLOCK = 64
"""Identity ids taken from the PostgreSQL sequence at a time (unused ones leave gaps)."""
_COPY_ROWS = 50
"""From this many new rows on, PostgreSQL inserts go through COPY."""
_CONTACT_COLUMNS = "id, workspace_id, status, created_at, updated_at"
_IDENTITY_COLUMNS = "id, workspace_id, kind, value, contact_id, created_at"
_ACCOUNT_COLUMNS = "id, workspace_id, domain, group_id, name, created_at, updated_at"

_PATCH = (
    "UPDATE contacts SET status = COALESCE(?, status), email = COALESCE(?, email), "
    "name = COALESCE(?, name), topics_json = COALESCE(?, topics_json), "
    "account_id = CASE WHEN ? THEN ? ELSE COALESCE(account_id, ?) END, "
    "updated_at = COALESCE(?, updated_at) WHERE id = ?"
)
"""Every contact change identity effects make, as one statement shape, so a unit's changes
go to the database as one ``executemany`` (one round trip on PostgreSQL)."""

# A merge, as four queued statements (the loser's fields are read by the database, so a
# merge needs no round trip of its own). Same effect, in the same order, as reading both
# rows and writing the survivor's fields in Python: ``COALESCE(NULLIF(x, ''), y)`` is
# Python's ``x or y`` for text and NULL.
_MOVE_IDENTITIES = "UPDATE identities SET contact_id = ? WHERE contact_id = ?"
_REPOINT_LOSERS = "UPDATE contacts SET merged_into_id = ?, updated_at = ? WHERE merged_into_id = ?"
_RETIRE = "UPDATE contacts SET merged_into_id = ?, email = NULL, updated_at = ? WHERE id = ?"
_SURVIVE = (
    "UPDATE contacts SET email = ?, "
    "name = COALESCE(NULLIF(name, ''), (SELECT l.name FROM contacts l WHERE l.id = ?)), "
    "persona = COALESCE(NULLIF(persona, ''), (SELECT l.persona FROM contacts l WHERE l.id = ?)), "
    "crm_id = COALESCE(NULLIF(crm_id, ''), (SELECT l.crm_id FROM contacts l WHERE l.id = ?)), "
    "account_id = ?, topics_json = ?, status = ?, updated_at = ? WHERE id = ?"
)
_ACCOUNT_GROUP = "UPDATE accounts SET group_id = ?, name = ?, updated_at = ? WHERE id = ?"


def _chunks(values: list[Any]) -> list[list[Any]]:
    return [values[i : i + _LOOKUP_CHUNK] for i in range(0, len(values), _LOOKUP_CHUNK)]


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
        raw: Any = conn.connection.dbapi_connection
        self._raw = raw
        self._cursor: Any = raw.cursor()
        self.cache = UnitCache()
        self._id_pool: list[int] = getattr(self, "_id_pool", [])
        self._account_pool: list[int] = getattr(self, "_account_pool", [])

    @property
    def _c(self) -> Connection:
        assert self.conn is not None, "bind() the repository to a transaction first"
        return self.conn

    def _now(self) -> object:
        return db_time(self._c.engine, utcnow())

    def find_identity(self, kind: str, value: str) -> int | None:
        return self.find_identities(kind, [value]).get(value)

    def find_identities(self, kind: str, values: list[str]) -> dict[str, int]:
        self.flush()
        out: dict[str, int] = {}
        m = self._mark
        if m != "?" and values:
            # One probe of the unique index per value, whatever the statistics say: during
            # a bulk import they lag (no analyze yet), and the planner then scanned the whole
            # (workspace, kind) range once per lookup, 60 ms per 500 values at 20k
            # identities and growing with the table. LIMIT 1 in a LATERAL keeps it a
            # nested loop of index probes (as _stored_keys does for events).
            rows = self._c.exec_driver_sql(
                "SELECT k.v, hit.id FROM unnest(%s::text[]) AS k(v) CROSS JOIN LATERAL "
                "(SELECT i.id FROM identities i WHERE i.workspace_id = %s AND i.kind = %s "
                "AND i.value = k.v LIMIT 1) AS hit",
                (values, self.workspace_id, kind),
            )
            return {str(value): int(identity_id) for value, identity_id in rows}
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

    def preload(
        self, identity_ids: list[int], emails: list[str], domains: list[str], group_ids: list[str]
    ) -> None:
        """Fetch contacts (by identity), e-mail owners and accounts in set reads."""
        m, ws, cache = self._mark, self.workspace_id, self.cache
        self.flush()
        ids = [i for i in identity_ids if i not in cache.identity_contact]
        for chunk in _chunks(ids):
            sql = (
                "SELECT i.id, c.id, c.status, c.email, c.topics_json, c.account_id "
                "FROM identities i JOIN contacts c ON c.id = i.contact_id "
                f"WHERE i.id IN ({', '.join([m] * len(chunk))})"
            )
            for iid, cid, status, email, topics, account in self._c.exec_driver_sql(
                sql, tuple(chunk)
            ):
                cache.identity_contact[int(iid)] = int(cid)
                cache.rows.setdefault(
                    int(cid), ContactRow(status == "known", email, topics, account)
                )
        wanted = [e for e in emails if e not in cache.by_email]
        for chunk in _chunks(wanted):
            cache.by_email.update(dict.fromkeys(chunk))
            sql = (
                f"SELECT email, id FROM contacts WHERE workspace_id = {m} "
                f"AND email IN ({', '.join([m] * len(chunk))})"
            )
            for email, cid in self._c.exec_driver_sql(sql, (ws, *chunk)):
                cache.by_email[str(email)] = int(cid)
        for chunk in _chunks([d for d in domains if d not in cache.domain_rows]):
            cache.domains.update(dict.fromkeys(chunk))
            cache.domain_rows.update(dict.fromkeys(chunk))
            sql = (
                f"SELECT domain, id, name, group_id FROM accounts WHERE workspace_id = {m} "
                f"AND domain IN ({', '.join([m] * len(chunk))})"
            )
            for domain, aid, name, group_id in self._c.exec_driver_sql(sql, (ws, *chunk)):
                cache.domains[str(domain)] = int(aid)
                cache.domain_rows[str(domain)] = (int(aid), name, group_id is not None)
        for chunk in _chunks([g for g in group_ids if g not in cache.groups]):
            cache.groups.update(dict.fromkeys(chunk))
            sql = (
                f"SELECT group_id, id, name FROM accounts WHERE workspace_id = {m} "
                f"AND group_id IN ({', '.join([m] * len(chunk))})"
            )
            for group_id, aid, name in self._c.exec_driver_sql(sql, (ws, *chunk)):
                cache.groups[str(group_id)] = (int(aid), name)

    def flush(self) -> None:
        """Write what is queued: new identities and accounts, then the changes in order.

        Inserts may go first: no queued change can touch a row inserted after it (changes
        name live contacts, and new rows point at live contacts only). On PostgreSQL the
        changes go in one pipeline: one round trip however many statements.
        """
        cache = self.cache
        if cache.new_identities:
            self._insert_many("identities", _IDENTITY_COLUMNS, cache.new_identities)
            cache.new_identities.clear()
        if cache.new_accounts:
            self._insert_many("accounts", _ACCOUNT_COLUMNS, cache.new_accounts)
            cache.new_accounts.clear()
        if cache.ops:
            self._run_ops(cache.ops)
            cache.ops.clear()

    def _run_ops(self, ops: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Run queued statements in order, a run of the same statement as one executemany."""
        runs: list[tuple[str, list[tuple[Any, ...]]]] = []
        for sql, params in ops:
            if runs and runs[-1][0] is sql:
                runs[-1][1].append(params)
            else:
                runs.append((sql, [params]))
        cur = self._cursor
        if self._mark == "?":
            for sql, rows in runs:
                cur.executemany(sql, rows)
            return
        with self._raw.pipeline():
            for sql, rows in runs:
                cur.executemany(sql.replace("?", "%s"), rows)

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
        now = self._now()
        status = "known" if kind == "user" else "anonymous"
        contact_ids = self._next_ids("contacts", len(values))
        identity_ids = self._next_ids("identities", len(values))
        self._insert_many(
            "contacts",
            _CONTACT_COLUMNS,
            [(cid, self.workspace_id, status, now, now) for cid in contact_ids],
        )
        self._insert_many(
            "identities",
            _IDENTITY_COLUMNS,
            [
                (iid, self.workspace_id, kind, v, cid, now)
                for iid, v, cid in zip(identity_ids, values, contact_ids, strict=True)
            ],
        )
        known = kind == "user"
        for iid, cid in zip(identity_ids, contact_ids, strict=True):
            self.cache.identity_contact[iid] = cid
            self.cache.rows[cid] = ContactRow(known, None, None, None)
        return dict(zip(values, identity_ids, strict=True))

    def _insert_many(self, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
        """Plain inserts; on PostgreSQL through COPY, which costs a fraction per row."""
        if self._mark != "?" and len(rows) >= _COPY_ROWS:
            with self._cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join([self._mark] * (columns.count(",") + 1))
        self._cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)

    def _one(self, sql: str, *params: object) -> tuple[Any, ...] | None:
        """First row of a plain SQL statement; ``?`` marks become the driver's."""
        if self._mark != "?":
            sql = sql.replace("?", self._mark)
        cur = self._cursor
        cur.execute(sql, params)
        row = cur.fetchone()
        return None if row is None else tuple(row)

    def create_identity(self, kind: str, value: str, contact_id: int) -> int:
        if self._mark != "?":  # PostgreSQL: ids from the sequence, the insert batched
            if not self._id_pool:
                self._id_pool = self._next_ids("identities", _ID_BLOCK)[::-1]
            identity_id = self._id_pool.pop()
            self.cache.new_identities.append(
                (identity_id, self.workspace_id, kind, value, contact_id, self._now())
            )
            self.cache.identity_contact[identity_id] = contact_id
            return identity_id
        row = self._one(
            "INSERT INTO identities (workspace_id, kind, value, contact_id, created_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            self.workspace_id, kind, value, contact_id, self._now(),
        )  # fmt: skip
        assert row is not None
        identity_id = int(str(row[0]))
        self.cache.identity_contact[identity_id] = contact_id
        return identity_id

    def contact_of(self, identity_id: int) -> ContactRef:
        cache = self.cache
        cid = cache.identity_contact.get(identity_id)
        if cid is None:
            self.flush()
            found = self._one("SELECT contact_id FROM identities WHERE id = ?", identity_id)
            assert found is not None, f"identity {identity_id} does not exist"
            cid = cache.identity_contact[identity_id] = int(str(found[0]))
        cid = cache.current(cid)
        row = self._row(cid)
        return ContactRef(id=cid, known=row.known, email=str(row.email) if row.email else None)

    def _row(self, contact_id: int) -> ContactRow:
        """The cached state of a contact; every contact with queued changes is cached."""
        row = self.cache.rows.get(contact_id)
        if row is None:
            self.flush()
            found = self._one(
                "SELECT status, email, topics_json, account_id FROM contacts WHERE id = ?",
                contact_id,
            )
            assert found is not None, f"contact {contact_id} does not exist"
            status, email, topics, account = found
            row = ContactRow(status == "known", email, topics, account)
            self.cache.rows[contact_id] = row
        return row

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
        contact_id = int(result.inserted_primary_key[0])
        self.cache.rows[contact_id] = ContactRow(known, None, None, None)
        return contact_id

    def find_contact_by_email(self, email: str) -> int | None:
        by_email = self.cache.by_email
        if email in by_email:
            return by_email[email]
        self.flush()
        row = self._one(
            "SELECT id FROM contacts WHERE workspace_id = ? AND email = ?", self.workspace_id, email
        )
        found = by_email[email] = None if row is None else int(str(row[0]))
        return found

    def update_contact(
        self, contact_id: int, *, email: str | None, name: str | None, topics: tuple[str, ...]
    ) -> None:
        row = self._row(contact_id)
        new_email = None
        if email is not None and email != row.email:
            by_email = self.cache.by_email
            if row.email is not None:
                by_email[str(row.email)] = None
            row.email = new_email = email
            by_email[email] = contact_id
        new_topics = None
        if topics:
            merged = sorted(set(orjson.loads(str(row.topics or "[]"))) | set(topics))
            row.topics = new_topics = orjson.dumps(merged).decode()
        row.known = True
        self.cache.ops.append(
            (
                _PATCH,
                ("known", new_email, name, new_topics, False, None, None, self._now(), contact_id),
            )
        )

    def merge_contacts(self, loser: int, survivor: int) -> None:
        """Fold ``loser`` into ``survivor``: identities move, fields fill gaps, nothing is lost.

        Queued, not run: the survivor's new state comes from the two cached rows, which
        hold every queued change, so later reads need no round trip either.
        """
        lose, keep = self._row(loser), self._row(survivor)
        topics = sorted(
            set(orjson.loads(str(keep.topics or "[]")))
            | set(orjson.loads(str(lose.topics or "[]")))
        )
        row = ContactRow(
            keep.known or lose.known,
            keep.email or lose.email,
            orjson.dumps(topics).decode() if topics else None,
            keep.account or lose.account,
        )
        now = self._now()
        self.cache.ops.extend(
            (
                (_MOVE_IDENTITIES, (survivor, loser)),
                (_REPOINT_LOSERS, (survivor, now, loser)),
                (_RETIRE, (survivor, now, loser)),
                (
                    _SURVIVE,
                    (
                        row.email, loser, loser, loser, row.account, row.topics,
                        "known" if row.known else "anonymous", now, survivor,
                    ),
                ),
            )
        )  # fmt: skip
        freed = lose.email if lose.email is not None and lose.email != row.email else None
        self.cache.merged(loser, survivor, row, freed)

    def account_for_domain(self, domain: str) -> int:
        domains = self.cache.domains
        hit = domains.get(domain)
        if hit is not None:
            return hit
        if domain in domains:  # preloaded: no account has it
            return self._new_account(domain=domain, group_id=None, name=None)
        self.flush()
        row = self._one(
            "SELECT id FROM accounts WHERE workspace_id = ? AND domain = ?",
            self.workspace_id, domain,
        )  # fmt: skip
        if row is not None:
            account_id = self.cache.domains[domain] = int(str(row[0]))
            return account_id
        return self._new_account(domain=domain, group_id=None, name=None)

    def account_for_group(self, group_id: str, name: str | None, domain: str | None) -> int:
        cache = self.cache
        groups = cache.groups
        row = groups[group_id] if group_id in groups else self._group_row(group_id)
        adopt = row is None  # an account known by its domain gets the group id
        if row is None and domain is not None:
            by_domain = self._domain_row(domain)
            if by_domain is not None and not by_domain[2]:
                row = by_domain[:2]
        if row is None:
            taken = domain is not None and self._domain_row(domain) is not None
            own = None if taken else domain
            account_id = self._new_account(domain=own, group_id=group_id, name=name)
            groups[group_id] = (account_id, name or own)
            return account_id
        account_id, old_name = int(str(row[0])), row[1]
        if adopt or (name and name != old_name):
            cache.ops.append(
                (_ACCOUNT_GROUP, (group_id, name or old_name, self._now(), account_id))
            )
            if adopt:
                assert domain is not None
                cache.domain_rows[domain] = (account_id, name or old_name, True)
        groups[group_id] = (account_id, name or old_name)
        return account_id

    def _group_row(self, group_id: str) -> tuple[Any, ...] | None:
        self.flush()
        return self._one(
            "SELECT id, name FROM accounts WHERE workspace_id = ? AND group_id = ?",
            self.workspace_id, group_id,
        )  # fmt: skip

    def _domain_row(self, domain: str) -> tuple[int, Any, bool] | None:
        """(id, name, has a group id) of the account with this domain, if one has it."""
        rows = self.cache.domain_rows
        if domain in rows:
            return rows[domain]
        self.flush()
        found = self._one(
            "SELECT id, name, group_id FROM accounts WHERE workspace_id = ? AND domain = ?",
            self.workspace_id, domain,
        )  # fmt: skip
        row = None if found is None else (int(str(found[0])), found[1], found[2] is not None)
        rows[domain] = row
        return row

    def _new_account(self, *, domain: str | None, group_id: str | None, name: str | None) -> int:
        """A new account; on PostgreSQL its id comes from the sequence and the insert is
        queued (flushed before anything reads accounts or points at it)."""
        now, label, cache = self._now(), name or domain, self.cache
        if self._mark == "?":
            row = self._one(
                "INSERT INTO accounts (workspace_id, domain, group_id, name, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                self.workspace_id, domain, group_id, label, now, now,
            )  # fmt: skip
            assert row is not None
            account_id = int(str(row[0]))
        else:
            if not self._account_pool:
                self._account_pool = self._next_ids("accounts", _ID_BLOCK)[::-1]
            account_id = self._account_pool.pop()
            cache.new_accounts.append(
                (account_id, self.workspace_id, domain, group_id, label, now, now)
            )
        if domain is not None:
            cache.domains[domain] = account_id
            cache.domain_rows[domain] = (account_id, label, group_id is not None)
        return account_id

    def set_account(self, contact_id: int, account_id: int, *, override: bool) -> None:
        row = self._row(contact_id)
        if row.account == account_id or (not override and row.account is not None):
            return
        row.account = account_id
        self.cache.ops.append(
            (_PATCH, (None, None, None, None, override, account_id, account_id, None, contact_id))
        )
