"""Helpers for closing-the-loop tests: an account with contacts, a timeline, a CRM sync."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import select

from leadloop.bootstrap import Container
from leadloop.connectors.memory import MemoryConnector
from leadloop.domain.crm import ContactRole
from leadloop.domain.crm_mapping import FILE_FIELDS, FILE_STAGES, FieldMapping, StageMap
from leadloop.services.crm_sync import SyncReport, sync_opportunities
from leadloop.store.records import AccountRecord
from leadloop.store.tables import accounts, contacts, events, identities, sources

_ids = itertools.count(1)


def day(n: int, hour: int = 9) -> datetime:
    """A moment in 2026 by day of the year (day 1 is 1 January)."""
    return datetime(2026, 1, 1, hour, tzinfo=UTC) + timedelta(days=n - 1)


def people(
    container: Container, workspace_id: int, *emails: str, on_account: bool = True
) -> dict[str, int]:
    """The account acme.example and a known contact per e-mail on it (created 1 January)."""
    container.directory.upsert_accounts(
        workspace_id, [AccountRecord(name="Acme", domain="acme.example")], [],
        key="domain", source="test",
    )  # fmt: skip
    account = account_id(container, workspace_id)
    out = {}
    with container.engine.begin() as conn:
        for email in emails:
            result = conn.execute(
                contacts.insert().values(
                    workspace_id=workspace_id, status="known", email=email,
                    account_id=account if on_account else None,
                    created_at=day(1), updated_at=day(1),
                )
            )  # fmt: skip
            out[email] = int(result.inserted_primary_key[0])
    return out


def account_id(container: Container, workspace_id: int) -> int:
    with container.engine.connect() as conn:
        return int(
            conn.execute(
                select(accounts.c.id).where(
                    accounts.c.workspace_id == workspace_id, accounts.c.domain == "acme.example"
                )
            ).scalar_one()
        )


def consume(
    container: Container,
    workspace_id: int,
    contact_id: int,
    when: datetime,
    kind: str,
    name: str | None,
    **properties: Any,
) -> None:
    """Store one event as ingest would: an identity of the contact, then the event row."""
    with container.engine.begin() as conn:
        source = conn.execute(
            select(sources.c.id).where(sources.c.workspace_id == workspace_id)
        ).scalar()
        ident = conn.execute(
            identities.insert().values(
                workspace_id=workspace_id, kind="user", value=f"u-{contact_id}-{next(_ids)}",
                contact_id=contact_id, created_at=when,
            )
        ).inserted_primary_key[0]  # fmt: skip
        n = next(_ids)
        payload = {"type": kind, "event": name, "properties": properties}
        conn.execute(
            events.insert().values(
                workspace_id=workspace_id, source_id=source or 1, dedup_ts=n, dedup_hash=n,
                message_id=f"m-{n}", identity_id=ident, type=kind, event=name,
                timestamp=when, received_at=when, payload_json=orjson.dumps(payload).decode(),
            )
        )  # fmt: skip


class MemoryCrm:
    """The in-memory connector synced through the real ``sync_opportunities``."""

    def __init__(self, container: Container, workspace_id: int) -> None:
        self.container, self.workspace_id = container, workspace_id
        self.connector = MemoryConnector("memory")
        self._modified = itertools.count(1)

    def deal(self, crm_id: str, stage: str, *emails: str, **fields: Any) -> None:
        n = next(self._modified)
        record = {
            "crm_id": crm_id, "name": f"Deal {crm_id}", "stage": stage, "amount": 10000.0,
            "currency": "USD",
            "created_at": "2026-02-01T10:00:00Z", "close_date": "2026-03-31",
            "account_domain": "acme.example", "last_modified": f"2026-04-01T00:00:{n:02d}Z",
        }  # fmt: skip
        record.update(fields)
        self.connector.put(**record)
        self.connector.roles = [r for r in self.connector.roles if r.opportunity_crm_id != crm_id]
        for i, email in enumerate(emails):
            role = "Decision Maker" if i == 0 else "Influencer"
            self.connector.roles.append(ContactRole(crm_id, f"c-{email}", email, role, i == 0))

    def sync(self, full: bool = False) -> SyncReport:
        c = self.container
        report = sync_opportunities(
            c.crm, c.crm_state, self.connector, workspace_id=self.workspace_id,
            mapping=FieldMapping(FILE_FIELDS), stages=StageMap.of(FILE_STAGES),
            hooks=c.opportunity_hooks, full=full,
        )  # fmt: skip
        c.sale_content.tag_pending(self.workspace_id)
        return report


CATALOG = (
    ("wp-need", "The cost of downtime", "white paper", "awareness"),
    ("price-list", "Price list", "price list", "purchase"),
    ("vb-fleet", "Fleet video book", "video book", "interest"),
)


def influence_world(container: Container, workspace_id: int) -> MemoryCrm:
    """Three deals on Acme and what Ana and Bo consumed (tagged: see the influence tests).

    D1 won 10,000 (created 1 Feb, closed 31 Mar), D2 lost 4,000 (10 Apr - 20 May),
    D3 open 2,500 (1 May). Ana reads the white paper on day 20; Bo downloads the price list
    on day 120 and Ana watches the video book on day 130 (after D1 closed).
    """
    from leadloop.store.tables import content

    with container.engine.begin() as conn:
        for asset, title, fmt, stage in CATALOG:
            conn.execute(
                content.insert().values(
                    workspace_id=workspace_id, asset_id=asset, url=f"https://acme.example/{asset}",
                    title=title, format=fmt, buying_stage=stage, created_at=day(1),
                    updated_at=day(1),
                )
            )  # fmt: skip
    ids = people(container, workspace_id, "ana@acme.example", "bo@acme.example")
    ana, bo = ids["ana@acme.example"], ids["bo@acme.example"]
    consume(container, workspace_id, ana, day(20), "page", None, url="https://acme.example/wp-need")
    consume(
        container, workspace_id, bo, day(120), "track", "Asset Downloaded", asset_id="price-list"
    )
    consume(container, workspace_id, ana, day(130), "track", "Video Progress", asset_id="vb-fleet",
            percent=75)  # fmt: skip
    crm = MemoryCrm(container, workspace_id)
    crm.deal("D1", "Closed Won", "ana@acme.example", amount=10000.0)
    crm.deal("D2", "Closed Lost", "bo@acme.example", amount=4000.0,
             created_at="2026-04-10T09:00:00Z", close_date="2026-05-20")  # fmt: skip
    crm.deal("D3", "Proposal", amount=2500.0, created_at="2026-05-01T09:00:00Z")
    crm.sync()
    return crm
