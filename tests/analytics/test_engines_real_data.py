"""Real data through the engines: the Maven CRM pipeline and the Olist funnel, loaded
through the import paths, give on DuckDB, PostgreSQL and Spark what an independent pandas
computation gives."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from engine_world import pg_container, pg_reason, sqlite_container
from sqlalchemy import select
from test_metrics_olist import DEALS, MQLS, pandas_truth
from typer.testing import CliRunner

from conftest import ENGINES, open_engine
from leadloop.analytics.queries import stage_days
from leadloop.analytics.reports import Filters, funnel_report, pipeline_report
from leadloop.cli.main import app
from leadloop.domain.metrics import Durations
from leadloop.services.imports import import_contacts
from leadloop.store.tables import contacts, lead_transitions

MAVEN = Path(__file__).resolve().parents[3] / "shared/data/maven-crm"
runner = CliRunner()


def _load_maven(c: Any) -> int:
    ws = c.workspaces.create_workspace("maven")
    url = c.settings.database_url
    for args in (
        ["accounts", str(MAVEN / "accounts.csv"), "--map", "account=name", "--key", "name"],
        ["opportunities", str(MAVEN / "sales_pipeline.csv"), "--source", "maven",
         "--map", "product=name"],
    ):  # fmt: skip
        result = runner.invoke(app, ["import", *args, "-w", "maven", "--database-url", url])
        assert result.exit_code == 0, result.output
    return ws


def _load_olist(c: Any, tmp: Path) -> int:
    """MQLs as contacts (persona = origin), sales_ready at first contact, won at won date;
    the one deal dated before its lead's first contact is left out on both sides."""
    ws = c.workspaces.create_workspace("olist")
    first, origin = {}, {}
    with MQLS.open(newline="") as f:
        for row in csv.DictReader(f):
            first[row["mql_id"]] = datetime.fromisoformat(row["first_contact_date"])
            origin[row["mql_id"]] = row["origin"]
    won = {}
    with DEALS.open(newline="") as f:
        for row in csv.DictReader(f):
            won[row["mql_id"]] = datetime.fromisoformat(row["won_date"])
    bad = {m for m, at in won.items() if at < first[m]}
    path = tmp / "mqls.csv"
    path.write_text("email,persona\n" + "".join(
        f"{m}@olist.example,{origin[m]}\n" for m in first if m not in bad))  # fmt: skip
    import_contacts(c.directory, workspace_id=ws, path=path)
    with c.engine.begin() as conn:
        query = select(contacts.c.email, contacts.c.id).where(contacts.c.workspace_id == ws)
        ids = {e.split("@")[0]: i for e, i in conn.execute(query)}
        rows = [_move(ws, ids[m], "sales_ready", at) for m, at in first.items() if m in ids]
        rows += [_move(ws, ids[m], "won", at) for m, at in won.items() if m in ids]
        conn.execute(lead_transitions.insert(), rows)
    return ws


def _move(ws: int, contact: int, state: str, at: datetime) -> dict[str, Any]:
    from datetime import UTC

    return {"workspace_id": ws, "contact_id": contact, "to_state": state,
            "at": at.replace(tzinfo=UTC), "actor_kind": "system", "cycle": 1}  # fmt: skip


def _world(kind: str, tmp: Path) -> Iterator[tuple[Any, int]]:
    if not (MAVEN / "sales_pipeline.csv").exists() or not MQLS.exists():
        pytest.skip(f"real data not found in {MAVEN.parent}")
    if kind == "pg" and (reason := pg_reason()):
        pytest.skip(reason)
    with pg_container() if kind == "pg" else sqlite_container(tmp) as c:
        _load_maven(c)
        yield c, _load_olist(c, tmp)


@pytest.fixture(scope="session")
def sqlite_real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, int]]:
    yield from _world("sqlite", tmp_path_factory.mktemp("real"))


@pytest.fixture(scope="session")
def pg_real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, int]]:
    yield from _world("pg", tmp_path_factory.mktemp("pgreal"))


@pytest.fixture(scope="session", params=ENGINES)
def wh(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Maven and Olist (in two workspaces) on each engine; yields (engine name, opener)."""
    opened = []

    def warehouse(workspace: str) -> Any:
        w = open_engine(request, request.param, "real", workspace)
        opened.append(w)
        return w

    yield warehouse
    for w in opened:
        w.close()


def _maven_truth(column: str) -> dict[str, tuple[int, float, int, int, float]]:
    frame = pd.read_csv(MAVEN / "sales_pipeline.csv").merge(
        pd.read_csv(MAVEN / "accounts.csv")[["account", "sector"]], on="account", how="left"
    )
    frame[column] = frame[column].fillna("(none)")
    out = {}
    for label, g in frame.groupby(column):
        won, lost = int((g.deal_stage == "Won").sum()), int((g.deal_stage == "Lost").sum())
        won_amount = float(g.loc[g.deal_stage == "Won", "close_value"].sum())
        out[str(label)] = (len(g), float(g.close_value.fillna(0).sum()), won, lost, won_amount)
    return out


@pytest.mark.parametrize(
    ("cut", "column"), [("sector", "sector"), ("product", "product"), ("rep", "sales_agent")]
)
def test_maven_pipeline_and_win_rate_equal_pandas(wh: Any, cut: str, column: str) -> None:
    report = pipeline_report(wh("maven"), Filters(None, cut=cut))
    got = {r[1]: (r[2], r[3], r[4], r[5], r[7]) for r in report.rows}
    truth = _maven_truth(column)
    assert got.keys() == truth.keys()
    for label, (n, amount, won, lost, won_amount) in truth.items():
        assert got[label][:1] + got[label][2:4] == (n, won, lost), label
        assert got[label][1] == pytest.approx(amount) and got[label][4] == pytest.approx(won_amount)
    rates = {r[1]: r[6] for r in report.rows}
    assert rates == {k: v[2] / (v[2] + v[3]) if v[2] + v[3] else None for k, v in truth.items()}


def test_olist_conversion_and_time_to_close_per_origin_equal_pandas(wh: Any) -> None:
    w = wh("olist")
    stages = ("sales_ready", "won")
    report = funnel_report(w, Filters(None, cut="persona", stages=stages))
    got = {r[1]: (r[4], r[5]) for r in report.rows}
    days: dict[str, list[float]] = defaultdict(list)
    for r in stage_days(w, *stages, "persona").to_pyarrow().to_pylist():
        days[r["cut"]].append(r["days"])
    truth = pandas_truth()
    assert len(truth) == 11 and sum(v[1] for v in got.values()) == 841
    for origin, row in truth.iterrows():
        assert got[origin] == (row.mqls, row.won), origin
        if row.won:
            d = Durations.of(days[origin])
            assert d.count == row.won
            assert d.mean_days == pytest.approx(row.mean_days, rel=1e-12)
            assert d.median_days == pytest.approx(row.median_days, rel=1e-12)
