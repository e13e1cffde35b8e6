"""A hand-written world for the engine suite, loaded through the real import paths.

Two accounts, three people, four opportunities, six cost lines, lifecycle transitions and
touches (events with ``context.campaign``). Every expected figure in test_engines.py is
worked out by hand from the data here.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import orjson
from sqlalchemy import create_engine, select, text

from leadloop.bootstrap import Container, bootstrap
from leadloop.config import Settings
from leadloop.domain.costs import cost_line_from_record
from leadloop.services.imports import (
    import_accounts,
    import_contacts,
    import_events,
    import_opportunities,
)
from leadloop.store.migrate import upgrade
from leadloop.store.tables import contacts, lead_transitions

PG_URL = os.environ.get("LEADLOOP_TEST_PG_URL", "postgresql+psycopg://127.0.0.1:5432/test")

ACCOUNTS = (
    "domain,name,segment,industry\n"
    "acme.example,Acme,enterprise,technology\n"
    "beta.example,Beta,SMB,retail\n"
)
CONTACTS = (
    "email,name,persona,account_domain\n"
    "alice@acme.example,Alice,CIO,acme.example\n"
    "bob@beta.example,Bob,CFO,beta.example\n"
    "carol@acme.example,Carol,CFO,acme.example\n"
)
OPPORTUNITIES = (
    "crm_id,name,amount,stage,created_at,close_date,owner,account_domain\n"
    "O1,Fleet,1000,closed won,2025-01-10T00:00:00Z,2025-02-15,Rita,acme.example\n"
    "O2,Fleet,500,closed lost,2025-02-01T00:00:00Z,2025-04-10,Bo,acme.example\n"
    "O3,Office,2000,closed won,2025-03-05T00:00:00Z,2025-05-20,Rita,beta.example\n"
    "O4,Office,300,proposal,2025-04-02T00:00:00Z,,Bo,beta.example\n"
)
COSTS = (
    ("2025-01", "marketing", "Search ads", "search ads", 100.0),
    ("2025-02", "marketing", "Webinars", "webinar", 200.0),
    ("2025-03", "sales", "Sales team", "sales salaries", 300.0),
    ("2025-04", "marketing", "Search ads", "search ads", 400.0),
    ("2025-05", "sales", "Sales team", "sales salaries", 500.0),
    ("2025-06", "marketing", "Webinars", "webinar", 50.0),
)
TOUCHES = (  # who, when, campaign name, medium
    ("alice@acme.example", "2025-01-02T10:00:00Z", "Search ads", "cpc"),
    ("alice@acme.example", "2025-01-08T10:00:00Z", "Webinars", "webinar"),
    ("carol@acme.example", "2025-01-25T10:00:00Z", "Newsletter", "email"),
    ("bob@beta.example", "2025-02-20T10:00:00Z", "Search ads", "cpc"),
    ("bob@beta.example", "2025-03-01T10:00:00Z", "Webinars", "webinar"),
)
TRANSITIONS = (  # who, state, when; by the system unless a fourth item names the actor
    ("alice@acme.example", "known", "2025-01-01"),
    ("alice@acme.example", "engaged", "2025-01-05"),
    ("alice@acme.example", "sales_ready", "2025-01-20"),
    ("alice@acme.example", "recycled", "2025-02-01"),
    ("alice@acme.example", "sales_ready", "2025-03-01"),
    ("bob@beta.example", "known", "2025-01-10"),
    ("bob@beta.example", "engaged", "2025-02-10"),
    ("carol@acme.example", "known", "2025-04-01"),
    # Sales opened a deal with carol on its own: the CRM implied every step to opportunity.
    ("carol@acme.example", "engaged", "2025-05-02", "crm"),
    ("carol@acme.example", "sales_ready", "2025-05-02", "crm"),
    ("carol@acme.example", "accepted", "2025-05-02", "crm"),
    ("carol@acme.example", "opportunity", "2025-05-02", "crm"),
)


def _events() -> bytes:
    lines = []
    for n, (email, _, _, _) in enumerate(TOUCHES):
        lines.append(
            {
                "type": "identify",
                "messageId": f"id-{n}",
                "userId": email,
                "timestamp": "2024-12-31T00:00:00Z",
                "traits": {"email": email},
            }
        )
    for n, (email, at, name, medium) in enumerate(TOUCHES):
        lines.append(
            {
                "type": "page",
                "messageId": f"page-{n}",
                "userId": email,
                "timestamp": at,
                "name": "Page",
                "properties": {"asset_id": f"ast-{n}"},
                "context": {"campaign": {"name": name, "medium": medium}},
            }
        )
    return b"".join(orjson.dumps(x) + b"\n" for x in lines)


def load(c: Container, tmp: Path) -> int:
    """Load the world into a fresh workspace; returns its id."""
    ws = c.workspaces.create_workspace("world")
    files = {"accounts.csv": ACCOUNTS, "contacts.csv": CONTACTS, "opps.csv": OPPORTUNITIES}
    for name, body in files.items():
        (tmp / name).write_text(body)
    (tmp / "events.ndjson").write_bytes(_events())
    import_accounts(c.directory, workspace_id=ws, path=tmp / "accounts.csv")
    import_contacts(c.directory, workspace_id=ws, path=tmp / "contacts.csv")
    import_opportunities(c.crm, workspace_id=ws, path=tmp / "opps.csv", source="world")
    source = c.workspaces.source_id(ws, "world-import")
    import_events(c.ingest_store, c.directory, workspace_id=ws, source_id=source,
                  path=tmp / "events.ndjson")  # fmt: skip
    lines = [cost_line_from_record({"month": m, "kind": k, "program": p, "channel": ch,
                                    "amount": a}) for m, k, p, ch, a in COSTS]  # fmt: skip
    c.costs.apply(ws, lines, "test")
    _transitions(c, ws)
    return ws


def _transitions(c: Container, ws: int) -> None:
    with c.engine.begin() as conn:
        ids = dict(conn.execute(select(contacts.c.email, contacts.c.id).where(
            contacts.c.workspace_id == ws, contacts.c.merged_into_id.is_(None))).all())  # fmt: skip
        previous: dict[str, str] = {}
        rows = []
        for email, state, day, *actor in TRANSITIONS:
            at = datetime.fromisoformat(day).replace(tzinfo=UTC)
            rows.append({"workspace_id": ws, "contact_id": ids[email], "to_state": state,
                         "from_state": previous.get(email), "at": at,
                         "actor_kind": actor[0] if actor else "system", "cycle": 1})  # fmt: skip
            previous[email] = state
        conn.execute(lead_transitions.insert(), rows)


@contextmanager
def sqlite_container(tmp: Path) -> Iterator[Container]:
    c = bootstrap(Settings(database_url=f"sqlite:///{tmp / 'world.db'}"))
    upgrade(c.engine)
    try:
        yield c
    finally:
        c.close()


def pg_reason() -> str | None:
    try:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure means: no usable server
        return f"PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}"
    return None


@contextmanager
def pg_container() -> Iterator[Container]:
    """A container on a fresh PostgreSQL schema, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    c = bootstrap(Settings(database_url=f"{PG_URL}?options=-csearch_path%3D{schema}"))
    upgrade(c.engine)
    try:
        yield c
    finally:
        c.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
