"""The cost ledger: `import_costs` and `leadloop costs|import costs`, on both stores."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from typer.testing import CliRunner

from leadloop.cli.main import app
from leadloop.domain.costs import cost_line_from_record, parse_month
from leadloop.errors import ValidationError
from leadloop.services.imports import import_costs
from leadloop.store.tables import quarantine

runner = CliRunner()
CSV = (
    "month,program,channel,kind,amount\n"
    "2025-01,Search ads - security,search ads,marketing,814.05\n"
    "2025-01,Sales team - Europe,sales salaries,sales,19000\n"
    "2025-13,Bad month,events,marketing,10\n"
    "2025-02,Webinars,webinar,marketing,lots\n"
    "2025-02,Webinars,webinar,finance,10\n"
    "2025-02,,webinar,marketing,10\n"
    "2025-02,Webinars,webinar,marketing,250.5\n"
)


def test_a_cost_file_is_loaded_bad_rows_quarantined_and_a_reload_adds_nothing(
    container: Any, workspace: Any, tmp_path: Any
) -> None:
    path = tmp_path / "costs.csv"
    path.write_text(CSV)
    first = import_costs(container.costs, workspace_id=workspace.id, path=path)
    assert (first.read, first.stored, first.rejected) == (7, 3, 4)
    again = import_costs(container.costs, workspace_id=workspace.id, path=path)
    assert (again.stored, again.updated, again.duplicates, again.rejected) == (0, 0, 3, 4)
    lines = container.costs.lines(workspace.id)
    assert [(x.month, x.kind, x.program, x.component, x.amount) for x in lines] == [
        (date(2025, 1, 1), "marketing", "Search ads - security", "ads", 814.05),
        (date(2025, 1, 1), "sales", "Sales team - Europe", "staff", 19000.0),
        (date(2025, 2, 1), "marketing", "Webinars", "events", 250.5),
    ]
    with container.engine.connect() as conn:
        reasons = [r for (r,) in conn.execute(select(quarantine.c.reason).order_by(
            quarantine.c.line))]  # fmt: skip
    assert len(reasons) == 4  # the reload did not quarantine them twice
    assert "write it as YYYY-MM" in reasons[0] and "not a number" in reasons[1]
    assert "allowed: marketing, sales" in reasons[2] and "no program" in reasons[3]


def test_a_corrected_amount_replaces_the_line(container: Any, workspace: Any, tmp_path) -> None:
    path = tmp_path / "costs.csv"
    path.write_text("month,program,kind,amount\n2025-03,Events,marketing,100\n")
    import_costs(container.costs, workspace_id=workspace.id, path=path)
    path.write_text("month,program,kind,amount\n2025-03,Events,marketing,120\n")
    report = import_costs(container.costs, workspace_id=workspace.id, path=path)
    assert (report.stored, report.updated) == (0, 1)
    assert [x.amount for x in container.costs.lines(workspace.id)] == [120.0]


def test_costs_cli_add_list_and_import(store: Any, container: Any, workspace: Any, tmp_path):
    url = ["-w", "acme", "--database-url", store.url]
    added = runner.invoke(app, ["costs", "add", "2025-04", "Trade shows", "1200", "--channel",
                                "events", *url])  # fmt: skip
    assert added.exit_code == 0 and "added: 2025-04 marketing Trade shows" in added.output
    again = runner.invoke(app, ["costs", "add", "2025-04", "Trade shows", "1300", *url,
                                "--channel", "events"])  # fmt: skip
    assert "updated" in again.output
    path = tmp_path / "c.csv"
    path.write_text("month,program,kind,amount\n2025-05,Sales tools,sales,180\n")
    imported = runner.invoke(app, ["import", "costs", str(path), *url])
    assert imported.exit_code == 0, imported.output
    listed = runner.invoke(app, ["costs", "list", "--since", "2025-04", *url])
    assert "2 lines, total 1,480.00" in listed.output
    lines = container.costs.lines(workspace.id)
    assert [(x.program, x.kind, x.component, x.amount) for x in lines] == [
        ("Trade shows", "marketing", "events", 1300.0),
        ("Sales tools", "sales", "other", 180.0),
    ]
    bad = runner.invoke(app, ["costs", "add", "April", "X", "1", *url])
    assert bad.exit_code == 1 and "write it as YYYY-MM" in bad.output


@given(st.integers(1900, 2999), st.integers(1, 12))
def test_every_month_parses_to_its_first_day(year: int, month: int) -> None:
    assert parse_month(f"{year:04d}-{month:02d}") == date(year, month, 1)


@given(st.text(max_size=12))
def test_month_text_is_a_month_or_a_validation_error(text: str) -> None:
    try:
        parsed = parse_month(text)
    except ValidationError as exc:
        assert "YYYY-MM" in exc.message
    else:
        assert parsed.day == 1 and text.strip().startswith(f"{parsed:%Y-%m}")


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_amounts_are_finite_and_not_negative(amount: float) -> None:
    record = {"month": "2025-01", "kind": "sales", "program": "P", "amount": amount}
    if amount >= 0 and amount != float("inf"):
        assert cost_line_from_record(record).amount == amount
    else:
        with pytest.raises(ValidationError):
            cost_line_from_record(record)
