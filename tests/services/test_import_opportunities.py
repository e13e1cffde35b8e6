"""`leadloop import opportunities`: any CRM's export, quarantine, reruns, and the Maven data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from leadloop.cli.main import app
from leadloop.services.imports import import_opportunities
from leadloop.store.tables import opportunities, quarantine

MAVEN = Path(__file__).resolve().parents[3] / "shared/data/maven-crm"
runner = CliRunner()

CSV = (
    "Deal ID,Deal Name,Stage,Value,Close Date,Owner,Company Domain\r\n"
    "D1,Fleet renewal,Closed Won,12000,2026-01-15,Rita,acme.example\r\n"
    "D2,New office,Negotiation,5000.50,,Rita,\r\n"
    "D3,Bad amount,Closed Lost,lots,2026-01-20,Bo,\r\n"
    "D4,No stage,,100,2026-01-21,Bo,\r\n"
    ",No id,Closed Won,100,2026-01-21,Bo,\r\n"
    "D5,Lost one,Closed Lost,0,2026-02-01,Bo,\r\n"
)


def _quarantined(container: Any) -> list[tuple[int, str]]:
    with container.engine.connect() as conn:
        rows = conn.execute(
            select(quarantine.c.line, quarantine.c.reason).order_by(quarantine.c.line)
        )
        return [(int(line), reason) for line, reason in rows]


def test_a_crm_export_is_imported_with_bad_rows_quarantined(container, workspace, tmp_path):
    path = tmp_path / "deals.csv"
    path.write_bytes(CSV.encode())

    report = import_opportunities(
        container.crm, workspace_id=workspace.id, path=path, source="pipedrive"
    )

    assert (report.read, report.stored, report.rejected) == (6, 3, 3)
    assert [line for line, _ in _quarantined(container)] == [4, 5, 6]
    reasons = [r for _, r in _quarantined(container)]
    assert "amount 'lots' cannot be read" in reasons[0]
    assert reasons[1] == "opportunity D4: stage is missing"
    assert "no id" in reasons[2]
    with container.engine.connect() as conn:
        rows = conn.execute(select(opportunities).order_by(opportunities.c.crm_id)).all()
    assert [(r.crm_id, r.status, r.amount, r.connector) for r in rows] == [
        ("D1", "won", 12000.0, "pipedrive"),
        ("D2", "open", 5000.5, "pipedrive"),
        ("D5", "lost", 0.0, "pipedrive"),
    ]
    assert rows[0].account_domain == "acme.example" and rows[0].currency == "USD"

    again = import_opportunities(
        container.crm, workspace_id=workspace.id, path=path, source="pipedrive"
    )
    assert (again.stored, again.updated, again.duplicates, again.rejected) == (0, 0, 3, 3)
    assert len(_quarantined(container)) == 3


def test_a_mapping_file_renames_columns_and_stages(container, workspace, tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text("ref,phase,eur\nX1,Signed,10\nX2,Dead,0\nX3,Talking,5\n")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "columns: {ref: crm_id, phase: stage, eur: amount}\nstages: {Signed: won, Dead: lost}\n"
    )
    result = runner.invoke(
        app,
        [
            "import",
            "opportunities",
            str(path),
            "-w",
            "acme",
            "--mapping",
            str(mapping),
            "--currency",
            "EUR",
            "--database-url",
            container.settings.database_url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert container.crm.pipeline_by_stage(workspace.id) == [
        ("Dead", "lost", 1, 0.0),
        ("Signed", "won", 1, 10.0),
        ("Talking", "open", 1, 5.0),
    ]


@pytest.mark.skipif(
    not (MAVEN / "sales_pipeline.csv").exists(), reason=f"Maven CRM data not found in {MAVEN}"
)
def test_the_maven_pipeline_matches_an_independent_pandas_computation(container, workspace):
    pd = pytest.importorskip("pandas")
    url = container.settings.database_url
    accounts = runner.invoke(
        app,
        [
            "import",
            "accounts",
            str(MAVEN / "accounts.csv"),
            "-w",
            "acme",
            "--map",
            "account=name",
            "--key",
            "name",
            "--database-url",
            url,
        ],
    )
    assert accounts.exit_code == 0, accounts.output
    result = runner.invoke(
        app,
        [
            "import",
            "opportunities",
            str(MAVEN / "sales_pipeline.csv"),
            "-w",
            "acme",
            "--source",
            "maven",
            "--map",
            "product=name",
            "--database-url",
            url,
        ],
    )
    assert result.exit_code == 0, result.output

    frame = pd.read_csv(MAVEN / "sales_pipeline.csv")
    expected = (
        frame.groupby("deal_stage")
        .agg(count=("opportunity_id", "size"), amount=("close_value", "sum"))
        .reset_index()
    )
    ours = {
        stage: (n, amount) for stage, _, n, amount in container.crm.pipeline_by_stage(workspace.id)
    }
    assert ours == {
        r.deal_stage: (int(r["count"]), float(r.amount)) for _, r in expected.iterrows()
    }
    statuses = {}
    for _, status, n, amount in container.crm.pipeline_by_stage(workspace.id):
        total = statuses.get(status, (0, 0.0))
        statuses[status] = (total[0] + n, total[1] + amount)
    won, lost = int((frame.deal_stage == "Won").sum()), int((frame.deal_stage == "Lost").sum())
    assert statuses["won"][0] / (statuses["won"][0] + statuses["lost"][0]) == won / (won + lost)
    assert round(won / (won + lost), 3) == 0.632
    assert (
        statuses["won"][1]
        == float(frame.loc[frame.deal_stage == "Won", "close_value"].sum())
        == 10_005_534
    )
    assert statuses["open"][0] == int(frame.deal_stage.isin(["Engaging", "Prospecting"]).sum())
    with container.engine.connect() as conn:
        linked = conn.execute(
            select(func.count())
            .select_from(opportunities)
            .where(opportunities.c.account_id.is_not(None))
        ).scalar()
    assert linked == int(frame.account.notna().sum()) == 8800 - 1425


def _roles(container: Any) -> list[tuple[str, str, bool, bool]]:
    from leadloop.store.tables import opportunity_contacts as oc

    with container.engine.connect() as conn:
        rows = conn.execute(
            select(opportunities.c.crm_id, oc.c.email, oc.c.is_primary, oc.c.contact_id)
            .join(oc, oc.c.opportunity_id == opportunities.c.id)
            .order_by(opportunities.c.crm_id)
        )
        return [(r[0], r[1], bool(r[2]), r[3] is not None) for r in rows]


def test_a_contact_email_column_becomes_the_primary_contact_role(container, workspace, tmp_path):
    from leadloop.services.imports import import_contacts

    people = tmp_path / "people.csv"
    people.write_text("email,name\nana@acme.example,Ana\n")
    import_contacts(container.directory, workspace_id=workspace.id, path=people)
    path = tmp_path / "opps.csv"
    path.write_text(
        "opportunity_id,stage,amount,contact_email\n"
        "O1,Closed Won,100, Ana@Acme.example \n"  # matched to Ana, case and spaces aside
        "O2,Closed Won,200,ghost@nowhere.example\n"  # kept, no contact of ours yet
        "O3,Closed Won,300,not an e-mail\n"  # refused with its reason
        "O4,Closed Won,400,\n"  # no contact
    )
    report = import_opportunities(container.crm, workspace_id=workspace.id, path=path)
    assert (report.stored, report.rejected) == (3, 1)
    assert _roles(container) == [
        ("O1", "ana@acme.example", True, True),
        ("O2", "ghost@nowhere.example", True, False),
    ]
    [(line, reason)] = _quarantined(container)
    assert line == 4 and "'not an e-mail' is not an e-mail address" in reason

    # A rerun changes nothing; a file that names another contact moves the role.
    again = import_opportunities(container.crm, workspace_id=workspace.id, path=path)
    assert (again.stored, again.updated) == (0, 0)
    path.write_text("opportunity_id,stage,amount,contact_email\nO1,Closed Won,100,\n")
    import_opportunities(container.crm, workspace_id=workspace.id, path=path)
    assert [r[0] for r in _roles(container)] == ["O2"]  # the file's blank cell removed it

    # Without the column, stored roles stay as they are.
    path.write_text("opportunity_id,stage,amount\nO2,Closed Won,250\n")
    import_opportunities(container.crm, workspace_id=workspace.id, path=path)
    assert [r[0] for r in _roles(container)] == ["O2"]
