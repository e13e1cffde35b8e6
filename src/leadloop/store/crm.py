"""Opportunities and their contact roles written idempotently, one transaction per page.

An incoming opportunity equal to the stored one (same fields, same contact roles) is not
written at all, so a re-sync reports ``updated == 0``. Accounts are linked by CRM id, then
domain, then name; contacts by e-mail. Every change is handed, inside the same
transaction, to the ``on_opportunity_changed`` hooks, so whatever they write (lifecycle
moves, content tagged to the sale) commits or rolls back with the opportunity itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, bindparam, delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from leadloop.domain.crm import ContactRole, MatchedContact, Opportunity, OpportunityChange
from leadloop.errors import StoreError
from leadloop.store.directory import SqlDirectory
from leadloop.store.engine import as_utc, utcnow
from leadloop.store.ingest import Rejected
from leadloop.store.records import chunks
from leadloop.store.tables import accounts, contacts, crm_sync_errors, opportunities
from leadloop.store.tables import opportunity_contacts as roles_table

logger = logging.getLogger(__name__)

OpportunityHook = Callable[[Connection, OpportunityChange], None]
"""``on_opportunity_changed(conn, change)``: called in the write transaction for every
opportunity a sync or import created or changed (never for unchanged ones)."""

_FIELDS = (
    "name", "stage", "status", "amount", "currency", "account_crm_id", "account_domain",
    "account_name", "created_at", "close_date", "owner", "type", "last_modified",
)  # fmt: skip


@dataclass(slots=True)
class ApplyResult:
    """What one page did: ``created + updated + unchanged`` is the number of opportunities."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[OpportunityChange] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Incoming:
    """One validated opportunity with the raw record it came from."""

    opportunity: Opportunity
    raw: Mapping[str, Any] | None = None


def _from_row(row: Any) -> Opportunity:
    values = {name: getattr(row, name) for name in _FIELDS}
    values["created_at"] = as_utc(values["created_at"])
    values["last_modified"] = as_utc(values["last_modified"])
    return Opportunity(crm_id=row.crm_id, **values)


def _role_tuple(role: ContactRole) -> tuple[Any, ...]:
    return (role.key, role.contact_crm_id, (role.email or "").lower() or None, role.role,
            bool(role.is_primary))  # fmt: skip


class SqlCrmStore:
    """Opportunity writes for every connector; sync state lives in :mod:`store.crm_state`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._directory = SqlDirectory(engine)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                conn.execution_options(sqlite_immediate=True)
                with conn.begin():
                    yield conn
        except SQLAlchemyError as exc:
            logger.error("crm.write_failed", extra={"fields": {"error": str(exc)[:200]}})
            raise StoreError(f"could not store opportunities: {exc.__class__.__name__}") from exc

    def apply(
        self,
        workspace_id: int,
        connector: str,
        items: Sequence[Incoming],
        roles: Sequence[ContactRole] | None = None,
        *,
        hooks: Sequence[OpportunityHook] = (),
        rejected: Sequence[Rejected] = (),
    ) -> ApplyResult:
        """Create or update opportunities (and their roles when given) in one transaction.

        ``roles=None`` leaves stored contact roles as they are (a file import has none).
        """
        latest = {i.opportunity.crm_id: i for i in items}  # the last copy of a repeated id wins
        with self.transaction() as conn:
            result = _Page(conn, workspace_id, connector, hooks).apply(latest, roles)
            if rejected:
                self._directory._quarantine(conn, workspace_id, list(rejected))
        return result

    def pipeline_by_stage(
        self, workspace_id: int, connector: str | None = None
    ) -> list[tuple[str, str, int, float]]:
        """``(stage, status, count, amount)`` per stage, for reports and checks."""
        o = opportunities.c
        query = (
            select(o.stage, o.status, func.count(), func.coalesce(func.sum(o.amount), 0.0))
            .where(o.workspace_id == workspace_id)
            .group_by(o.stage, o.status)
            .order_by(o.stage)
        )
        if connector is not None:
            query = query.where(o.connector == connector)
        with self.engine.connect() as conn:
            return [(s, st, int(n), float(a)) for s, st, n, a in conn.execute(query)]


class _Page:
    """The writes of one page inside one transaction."""

    def __init__(
        self, conn: Connection, workspace_id: int, connector: str, hooks: Sequence[OpportunityHook]
    ) -> None:
        self.conn, self.ws, self.connector, self.hooks = conn, workspace_id, connector, hooks
        self.now = utcnow()

    def apply(
        self, latest: dict[str, Incoming], roles: Sequence[ContactRole] | None
    ) -> ApplyResult:
        result = ApplyResult()
        stored = self._stored(list(latest))
        by_opp: dict[str, list[ContactRole]] = {}
        for role in roles or ():
            if role.key:
                by_opp.setdefault(role.opportunity_crm_id, []).append(role)
        old_roles = self._roles([stored[k][0] for k in latest if k in stored])
        inserts: list[Incoming] = []
        updates: list[Incoming] = []
        new_roles: list[str] = []
        changed: list[tuple[str, Opportunity | None]] = []
        for crm_id, item in latest.items():
            before = stored.get(crm_id)
            roles_differ = roles is not None and (
                before is None
                or sorted(old_roles.get(before[0], []))
                != sorted(map(_role_tuple, by_opp.get(crm_id, [])))
            )
            if before is not None and before[1] == item.opportunity and not roles_differ:
                result.unchanged += 1
                continue
            (updates if before else inserts).append(item)
            if roles_differ:
                new_roles.append(crm_id)
            changed.append((crm_id, before[1] if before else None))
        result.created, result.updated = len(inserts), len(updates)
        links = self._account_links([i.opportunity for i in inserts + updates])
        ids = {k: v[0] for k, v in stored.items()}
        self._update(updates, ids, links)
        ids.update(self._insert(inserts, links))
        self._replace_roles({ids[c]: by_opp.get(c, []) for c in new_roles})
        self._resolve_errors(list(latest))
        result.changes = self._notify([(c, ids[c], b) for c, b in changed], latest)
        return result

    def _stored(self, crm_ids: list[str]) -> dict[str, tuple[int, Opportunity]]:
        o = opportunities.c
        out: dict[str, tuple[int, Opportunity]] = {}
        for part in chunks(crm_ids):
            rows = self.conn.execute(
                select(opportunities).where(
                    o.workspace_id == self.ws, o.connector == self.connector, o.crm_id.in_(part)
                )
            )
            out.update((r.crm_id, (r.id, _from_row(r))) for r in rows)
        return out

    def _roles(self, row_ids: list[int]) -> dict[int, list[tuple[Any, ...]]]:
        r = roles_table.c
        out: dict[int, list[tuple[Any, ...]]] = {}
        for part in chunks(row_ids):
            rows = self.conn.execute(
                select(r.opportunity_id, r.contact_key, r.contact_crm_id, r.email, r.role,
                       r.is_primary).where(r.opportunity_id.in_(part))
            )  # fmt: skip
            for oid, *rest in rows:
                out.setdefault(oid, []).append((*rest[:4], bool(rest[4])))
        return out

    def _account_links(self, opps: list[Opportunity]) -> dict[str, int]:
        """crm_id → our account: by the account's CRM id, then domain, then name."""
        a = accounts.c
        found: dict[tuple[str, str], int] = {}
        for kind, column in (("crm_id", a.crm_id), ("domain", a.domain), ("name", a.name)):
            values = sorted({v for o in opps if (v := getattr(o, f"account_{kind}"))})
            for part in chunks(values):
                rows = self.conn.execute(
                    select(column, a.id).where(a.workspace_id == self.ws, column.in_(part))
                )
                found.update(((kind, str(v)), int(i)) for v, i in rows)
        out: dict[str, int] = {}
        for o in opps:
            for kind in ("crm_id", "domain", "name"):
                value = getattr(o, f"account_{kind}")
                if value and (kind, value) in found:
                    out[o.crm_id] = found[(kind, value)]
                    break
        return out

    def _values(self, item: Incoming, links: dict[str, int]) -> dict[str, Any]:
        opp = item.opportunity
        values = {name: getattr(opp, name) for name in _FIELDS}
        values["account_id"] = links.get(opp.crm_id)
        values["raw_json"] = orjson.dumps(item.raw, default=str).decode() if item.raw else None
        values["synced_at"] = self.now
        return values

    def _update(self, items: list[Incoming], ids: dict[str, int], links: dict[str, int]) -> None:
        if not items:
            return
        names = [*_FIELDS, "account_id", "raw_json", "synced_at"]
        statement = (
            update(opportunities)
            .where(opportunities.c.id == bindparam("b_id"))
            .values({n: bindparam(f"b_{n}") for n in names})
        )
        rows = []
        for item in items:
            values = self._values(item, links)
            rows.append(
                {"b_id": ids[item.opportunity.crm_id]} | {f"b_{n}": values[n] for n in names}
            )
        self.conn.execute(statement, rows)

    def _insert(self, items: list[Incoming], links: dict[str, int]) -> dict[str, int]:
        if not items:
            return {}
        rows = []
        for item in items:
            values = self._values(item, links)
            values.update(
                workspace_id=self.ws, connector=self.connector,
                crm_id=item.opportunity.crm_id, first_synced_at=self.now,
            )  # fmt: skip
            rows.append(values)
        self.conn.execute(opportunities.insert(), rows)
        return {crm_id: row[0] for crm_id, row in self._stored([r["crm_id"] for r in rows]).items()}

    def _replace_roles(self, roles: dict[int, list[ContactRole]]) -> None:
        """Replace the contact roles of these opportunities (row id → roles)."""
        if not roles:
            return
        for part in chunks(list(roles)):
            self.conn.execute(delete(roles_table).where(roles_table.c.opportunity_id.in_(part)))
        unique = {(row_id, r.key): r for row_id, rs in roles.items() for r in rs}
        emails = sorted({(r.email or "").lower() for r in unique.values() if r.email})
        matched = self._contacts_by_email(emails)
        if unique:
            self.conn.execute(
                roles_table.insert(),
                [
                    {
                        "opportunity_id": row_id,
                        "contact_key": key[:320],
                        "contact_crm_id": r.contact_crm_id,
                        "email": (r.email or "").lower() or None,
                        "contact_id": matched.get((r.email or "").lower()),
                        "role": r.role[:100] if r.role else None,
                        "is_primary": bool(r.is_primary),
                    }
                    for (row_id, key), r in unique.items()
                ],
            )

    def _contacts_by_email(self, emails: list[str]) -> dict[str, int]:
        c = contacts.c
        out: dict[str, int] = {}
        for part in chunks(emails):
            rows = self.conn.execute(
                select(c.email, c.id).where(
                    c.workspace_id == self.ws, c.email.in_(part), c.merged_into_id.is_(None)
                )
            )
            out.update((str(e).lower(), int(i)) for e, i in rows)
        return out

    def _resolve_errors(self, crm_ids: list[str]) -> None:
        e = crm_sync_errors.c
        for part in chunks(crm_ids):
            self.conn.execute(
                update(crm_sync_errors)
                .where(
                    e.workspace_id == self.ws,
                    e.connector == self.connector,
                    e.object == "opportunities",
                    e.record_id.in_(part),
                    e.resolved_at.is_(None),
                )
                .values(resolved_at=self.now)
            )

    def _notify(
        self, changed: list[tuple[str, int, Opportunity | None]], latest: dict[str, Incoming]
    ) -> list[OpportunityChange]:
        if not changed:
            return []
        r = roles_table.c
        row_ids = [row_id for _, row_id, _ in changed]
        people: dict[int, list[MatchedContact]] = {}
        links: dict[int, int | None] = {}
        for part in chunks(row_ids):
            for oid, cid, email, role, primary in self.conn.execute(
                select(r.opportunity_id, r.contact_id, r.email, r.role, r.is_primary)
                .where(r.opportunity_id.in_(part))
                .order_by(r.opportunity_id, r.contact_key)
            ):
                people.setdefault(oid, []).append(MatchedContact(cid, email, role, bool(primary)))
            o = opportunities.c
            links.update(self.conn.execute(select(o.id, o.account_id).where(o.id.in_(part))).all())
        out = []
        for crm_id, row_id, before in changed:
            change = OpportunityChange(
                self.ws, row_id, self.connector, before, latest[crm_id].opportunity,
                tuple(people.get(row_id, ())), links.get(row_id),
            )  # fmt: skip
            for hook in self.hooks:
                hook(self.conn, change)
            out.append(change)
        return out
