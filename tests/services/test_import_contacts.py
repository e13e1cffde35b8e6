"""`import_contacts` on SQLite and PostgreSQL, and how imported contacts meet web identities."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from leadloop.bootstrap import Container
from leadloop.domain.messages import BatchEnvelope, parse_message
from leadloop.errors import ValidationError
from leadloop.services.imports import ImportReport, import_contacts
from leadloop.store.directory import SqlDirectory
from leadloop.store.ingest import WriteUnit
from leadloop.store.tables import accounts, contacts, identities, quarantine

Workspace = Any

CONTACTS_CSV = (
    "Email,First Name,Last Name,Topics,Persona,Phone,CRM Id\n"
    "Ana.Silva@Acme.Example,Ana,Silva,network security;compliance,Function Head,555-1,003A\n"
    "bo@gmail.com,Bo,,,,555-2,\n"
    "not-an-email,Cy,,,,,\n"
    ",Dee,,,,,\n"
    "ana.silva@acme.example,,,cloud,,,\n"
)


def _run(container: Container, workspace: Workspace, path: Path, **kw: Any) -> ImportReport:
    return import_contacts(
        SqlDirectory(container.engine), workspace_id=workspace.id, path=path, **kw
    )


def _contacts(container: Container, workspace_id: int) -> dict[str, Any]:
    with container.engine.connect() as conn:
        rows = conn.execute(
            select(contacts)
            .where(contacts.c.workspace_id == workspace_id, contacts.c.merged_into_id.is_(None))
            .order_by(contacts.c.id)
        )
        return {str(r.email): r for r in rows if r.email}


def _account(container: Container, account_id: int | None) -> Any:
    with container.engine.connect() as conn:
        return conn.execute(select(accounts).where(accounts.c.id == account_id)).first()


def test_contacts_import_upserts_by_email_and_a_rerun_changes_nothing(
    container: Container, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(CONTACTS_CSV)

    report = _run(container, workspace, path)

    assert (report.read, report.stored, report.duplicates, report.rejected) == (5, 2, 1, 2)
    assert report.ignored_columns == ("Phone",)
    people = _contacts(container, workspace.id)
    assert set(people) == {"ana.silva@acme.example", "bo@gmail.com"}
    ana = people["ana.silva@acme.example"]
    assert (ana.status, ana.name, ana.persona, ana.crm_id) == (
        "known",
        "Ana Silva",
        "Function Head",
        "003A",
    )
    assert orjson.loads(ana.topics_json) == ["cloud", "compliance", "network security"]
    assert _account(container, ana.account_id).domain == "acme.example"
    assert people["bo@gmail.com"].account_id is None, "free-mail says nothing about an employer"
    stored_text = [v for r in people.values() for v in tuple(r) if isinstance(v, str)]
    assert not any("555" in v for v in stored_text), "phone is never stored"
    with container.engine.connect() as conn:
        lines = dict(
            conn.execute(
                select(quarantine.c.line, quarantine.c.reason).where(
                    quarantine.c.source == "import:contacts.csv"
                )
            ).all()
        )
    assert set(lines) == {4, 5}
    assert "not a valid e-mail" in lines[4] and "email is missing" in lines[5]

    again = _run(container, workspace, path)

    assert (again.stored, again.updated, again.duplicates, again.rejected) == (0, 0, 3, 2)
    assert _contacts(container, workspace.id).keys() == people.keys()


def test_a_later_identify_with_the_same_email_merges_into_the_imported_contact(
    container: Container, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("email,name\nana@acme.example,Ana Silva\n")
    _run(container, workspace, path)
    imported = _contacts(container, workspace.id)["ana@acme.example"]
    envelope = BatchEnvelope(datetime.now(UTC))
    source_id = container.workspaces.source_id(workspace.id, "website")
    web = [
        {"type": "page", "anonymousId": "device-1", "name": "Pricing", "messageId": "p1"},
        {
            "type": "identify",
            "anonymousId": "device-1",
            "userId": "u-77",
            "messageId": "i1",
            "traits": {"email": "ANA@acme.example", "name": "Ana"},
        },
    ]

    for body in web:  # two requests, as a browser would send them
        message = parse_message(body, envelope)
        container.ingest_store.write([WriteUnit(workspace.id, source_id, [message])])

    people = _contacts(container, workspace.id)
    assert list(people) == ["ana@acme.example"]
    assert people["ana@acme.example"].id == imported.id
    with container.engine.connect() as conn:
        owners = dict(
            conn.execute(
                select(identities.c.value, identities.c.contact_id).where(
                    identities.c.workspace_id == workspace.id
                )
            ).all()
        )
    assert owners == {"device-1": imported.id, "u-77": imported.id}


def test_importing_a_contact_the_web_already_knows_updates_it(
    container: Container, workspace: Workspace, tmp_path: Path
) -> None:
    source_id = container.workspaces.source_id(workspace.id, "website")
    identify = parse_message(
        {"type": "identify", "userId": "u1", "traits": {"email": "cy@corp.example"}},
        BatchEnvelope(datetime.now(UTC)),
    )
    container.ingest_store.write([WriteUnit(workspace.id, source_id, [identify])])
    web = _contacts(container, workspace.id)["cy@corp.example"]
    path = tmp_path / "crm.csv"
    path.write_text("email,name,segment,topics\ncy@corp.example,Cy Young,Turnaround Artist,cloud\n")

    report = _run(container, workspace, path)

    assert (report.stored, report.updated) == (0, 1)
    cy = _contacts(container, workspace.id)["cy@corp.example"]
    assert cy.id == web.id and cy.name == "Cy Young" and cy.persona == "Turnaround Artist"
    assert cy.account_id == web.account_id, "the account from the e-mail domain is kept"


def test_explicit_account_columns_win_over_the_email_domain(
    container: Container, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        "email,company,company domain\n"
        "ana@mail.acme.example,Acme Corp,https://www.acme.example\n"
        "bo@gmail.com,Beta Ltd,\n"
        "cy@gmail.com,Beta Ltd,\n"
        "dee@x.example,,gmail.com\n"
    )

    report = _run(container, workspace, path)

    assert (report.stored, report.rejected) == (3, 1)
    people = _contacts(container, workspace.id)
    acme = _account(container, people["ana@mail.acme.example"].account_id)
    assert (acme.domain, acme.name) == ("acme.example", "Acme Corp")
    beta = _account(container, people["bo@gmail.com"].account_id)
    assert (beta.name, beta.domain) == ("Beta Ltd", None)
    assert people["cy@gmail.com"].account_id == beta.id


def test_contacts_from_ndjson_and_parquet(
    container: Container, workspace: Workspace, tmp_path: Path
) -> None:
    ndjson = tmp_path / "contacts.ndjson"
    ndjson.write_bytes(
        b'{"email": "ana@acme.example", "topics": ["security"], "title": "CIO"}\n"just a string"\n'
    )
    parquet = tmp_path / "contacts.parquet"
    pq.write_table(
        pa.table({"mail": ["bo@beta.example", None], "topics": [["a", "b"], None]}), parquet
    )

    first = _run(container, workspace, ndjson)
    second = _run(container, workspace, parquet, mapping={"mail": "email"})

    assert (first.stored, first.rejected, first.ignored_columns) == (1, 1, ("title",))
    assert (second.stored, second.rejected) == (1, 1)
    people = _contacts(container, workspace.id)
    assert orjson.loads(people["bo@beta.example"].topics_json) == ["a", "b"]


def test_a_file_without_an_email_column_is_refused(
    container: Container, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("name,phone\nAna,555\n")
    with pytest.raises(ValidationError, match="no column maps to email"):
        _run(container, workspace, path)
