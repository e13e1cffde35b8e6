"""`import_accounts` on SQLite and PostgreSQL, including the real Maven CRM accounts file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from leadloop.bootstrap import Container
from leadloop.domain.messages import BatchEnvelope, parse_message
from leadloop.errors import ValidationError
from leadloop.services.imports import ImportReport, import_accounts, import_contacts
from leadloop.store.directory import SqlDirectory
from leadloop.store.ingest import WriteUnit
from leadloop.store.tables import accounts, contacts, quarantine

Workspace = Any
MAVEN_ACCOUNTS = Path(__file__).resolve().parents[3] / "shared/data/maven-crm/accounts.csv"


def _run(container: Container, workspace: Workspace, path: Path, **kw: Any) -> ImportReport:
    return import_accounts(
        SqlDirectory(container.engine), workspace_id=workspace.id, path=path, **kw
    )


def _accounts(container: Container, workspace_id: int) -> list[Any]:
    with container.engine.connect() as conn:
        return list(
            conn.execute(
                select(accounts).where(accounts.c.workspace_id == workspace_id).order_by("id")
            )
        )


@pytest.mark.skipif(not MAVEN_ACCOUNTS.exists(), reason=f"{MAVEN_ACCOUNTS} is not present")
def test_the_maven_crm_accounts_file_imports_by_name(
    container: Container, workspace: Workspace
) -> None:
    mapping = {"account": "name", "sector": "industry"}

    report = _run(container, workspace, MAVEN_ACCOUNTS, mapping=mapping, key="name")

    assert (report.read, report.stored, report.rejected) == (85, 85, 0)
    rows = {r.name: r for r in _accounts(container, workspace.id)}
    assert len(rows) == 85
    acme = rows["Acme Corporation"]
    assert acme.domain is None
    assert orjson.loads(acme.traits_json) == {
        "industry": "technolgy",  # sic: the dataset's own spelling
        "year_established": 1996,
        "revenue": 1100.04,
        "employees": 2822,
        "office_location": "United States",
    }
    assert any("subsidiary_of" in orjson.loads(r.traits_json) for r in rows.values())

    again = _run(container, workspace, MAVEN_ACCOUNTS, mapping=mapping, key="name")

    assert (again.stored, again.updated, again.duplicates) == (0, 0, 85)
    assert len(_accounts(container, workspace.id)) == 85


def test_accounts_by_domain_fill_in_accounts_made_from_email_domains(
    container: Container, workspace: Workspace, tmp_path: Path
) -> None:
    people = tmp_path / "contacts.csv"
    people.write_text("email\nana@acme.example\n")
    import_contacts(SqlDirectory(container.engine), workspace_id=workspace.id, path=people)
    (placeholder,) = _accounts(container, workspace.id)
    assert placeholder.name == "acme.example"
    path = tmp_path / "accounts.csv"
    path.write_text(
        "company,website,industry,employees\n"
        "Acme Corp,https://www.acme.example/about,manufacturing,1200\n"
        "Beta Ltd,beta.example,retail,40\n"
        "Beta Again,beta.example,retail,41\n"
        "No Site,,retail,3\n"
    )

    report = _run(container, workspace, path)

    assert (report.read, report.stored, report.updated, report.duplicates) == (4, 1, 1, 1)
    assert report.rejected == 1
    rows = {r.domain: r for r in _accounts(container, workspace.id)}
    assert rows["acme.example"].id == placeholder.id
    assert rows["acme.example"].name == "Acme Corp"
    beta = rows["beta.example"]
    assert (beta.name, orjson.loads(beta.traits_json)["employees"]) == ("Beta Again", 41)
    with container.engine.connect() as conn:
        (reason,) = conn.execute(
            select(quarantine.c.reason).where(quarantine.c.line == 5)
        ).scalars()
    assert "has no domain" in reason and "--key" in reason


def test_a_domain_owned_by_another_account_is_refused_not_merged(
    container: Container, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(
        "name,domain,crm_id\nAcme,acme.example,A-1\nAcme Holdings,acme.example,A-2\nBeta,,A-1\n"
    )

    report = _run(container, workspace, path, key="crm_id")

    # Rows 2 and 4 share crm_id A-1: one account, the later name wins.
    assert (report.stored, report.duplicates, report.rejected) == (1, 1, 1)
    (reject,) = report.first_rejects
    assert reject.line == 3
    assert "domain 'acme.example' already belongs to" in reject.reason
    (account,) = _accounts(container, workspace.id)
    assert (account.name, account.domain, account.crm_id) == ("Beta", "acme.example", "A-1")


def test_accounts_from_ndjson_with_traits(
    container: Container, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "accounts.jsonl"
    path.write_bytes(
        b'{"domain": "acme.example", "name": "Acme", "traits": {"plan": "gold"}, "seats": 5}\n'
        b'{"domain": "not a domain", "name": "X"}\n'
    )

    report = _run(container, workspace, path)

    assert (report.stored, report.rejected) == (1, 1)
    (acme,) = _accounts(container, workspace.id)
    assert orjson.loads(acme.traits_json) == {"plan": "gold", "seats": 5}


def test_unusable_keys_are_refused(
    container: Container, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("name,sector\nAcme,tech\n")
    with pytest.raises(ValidationError, match="--key must be one of"):
        _run(container, workspace, path, key="sector")
    with pytest.raises(ValidationError, match="no column maps to domain"):
        _run(container, workspace, path, key="domain")


def test_a_group_call_finds_the_account_imported_with_its_group_id(
    container: Container, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(
        "domain,name,segment,industry,employees,region,group_id\n"
        "iron.example,Iron Logistics,mid-market,Logistics,317,Europe,grp_1\n"
    )
    report = _run(container, workspace, path)
    assert report.stored == 1
    group = parse_message(
        {"type": "group", "userId": "u1", "groupId": "grp_1", "traits": {"name": "Iron"}},
        BatchEnvelope(datetime.now(UTC)),
    )
    source_id = container.workspaces.source_id(workspace.id, "website")

    container.ingest_store.write([WriteUnit(workspace.id, source_id, [group])])

    (account,) = _accounts(container, workspace.id)
    assert (account.group_id, account.domain) == ("grp_1", "iron.example")
    assert orjson.loads(account.traits_json) == {
        "segment": "mid-market",
        "industry": "Logistics",
        "employees": 317,
        "region": "Europe",
    }
    with container.engine.connect() as conn:
        (contact_account,) = conn.execute(
            select(contacts.c.account_id).where(contacts.c.workspace_id == workspace.id)
        ).scalars()
    assert contact_account == account.id
