"""`leadloop content tag-sales` and `leadloop content influence` through Typer's CliRunner."""

from __future__ import annotations

from sqlalchemy import delete
from typer.testing import CliRunner

from leadloop.cli.main import app
from leadloop.store.tables import sale_content
from sale_helpers import influence_world

runner = CliRunner()


def _run(store, *args):
    return runner.invoke(app, ["content", *args, "-w", "acme", "--database-url", store.url],
                         env={"COLUMNS": "200"})  # fmt: skip


def test_tag_sales_rebuilds_and_influence_prints_the_table(store, container, workspace):
    influence_world(container, workspace.id)
    with container.engine.begin() as conn:
        conn.execute(delete(sale_content))

    quiet = _run(store, "influence")
    rebuilt = _run(store, "tag-sales", "--rebuild")
    table = _run(store, "influence", "--by", "quarter", "--stage", "awareness")

    assert "no content is tagged to any sale yet" in quiet.output
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "3 opportunities tagged with 7 consumptions (lookback 365 days)" in rebuilt.output
    assert table.exit_code == 0, table.output
    lines = [line for line in table.output.splitlines() if "The cost of downtime" in line]
    assert len(lines) == 2  # Q1 and Q2
    assert "10,000" in lines[0] and "2026-Q1" in lines[0]
    assert "6,500" in lines[1] and "Fleet video book" not in table.output


def test_a_bad_grain_is_a_clear_error(store, container, workspace):
    result = _run(store, "influence", "--by", "week")
    assert result.exit_code == 1
    assert "period grain 'week' is not allowed; allowed: month, quarter, year" in result.output


def test_report_content_is_the_influence_report_beside_the_other_revenue_reports(
    store, container, workspace
):
    influence_world(container, workspace.id)
    args = ["--by", "quarter", "-w", "acme", "--database-url", store.url]

    listed = runner.invoke(app, ["report", "content", *args], env={"COLUMNS": "200"})
    direct = runner.invoke(app, ["content", "influence", *args], env={"COLUMNS": "200"})

    assert listed.exit_code == 0, listed.output
    assert "The cost of downtime" in listed.output and "2026-Q1" in listed.output
    assert listed.output == direct.output
