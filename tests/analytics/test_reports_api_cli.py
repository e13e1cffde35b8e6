"""Reports and the cost ledger through the API (admin key) and `leadloop report`, on both
stores: the same figures as the engine suite, worked out by hand in test_engines.py."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest
from engine_world import load
from typer.testing import CliRunner

from leadloop.api.app import create_app
from leadloop.cli.main import app

runner = CliRunner()


@pytest.fixture
def world(container: Any, tmp_path: Path) -> Iterator[tuple[Any, int, str]]:
    ws = load(container, tmp_path)
    yield container, ws, container.workspaces.create_key(ws, scope="admin")


@pytest.fixture
def client(world: tuple[Any, int, str]) -> Iterator[Any]:
    import httpx
    from anyio.from_thread import start_blocking_portal

    c, _, key = world
    transport = httpx.ASGITransport(app=create_app(c))
    with start_blocking_portal() as portal:
        http = httpx.AsyncClient(transport=transport, base_url="http://leadloop.test",
                                 headers={"Authorization": f"Bearer {key}"})  # fmt: skip

        def get(path: str, **kw: Any) -> httpx.Response:
            return portal.call(lambda: http.request("GET" if "json" not in kw else "POST",
                                                    path, **kw))  # fmt: skip

        yield get
        portal.call(http.aclose)


def test_cpod_report_through_the_api(client: Any) -> None:
    response = client("/v1/reports/cpod", params={"by": "quarter"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["engine"], body["by"], body["count"]) == ("cpod", "duckdb",
                                                                         "quarter", 2)  # fmt: skip
    assert [(r["period"], r["cpod"]) for r in body["data"]] == [("2025-Q1", 0.6),
                                                                ("2025-Q2", 0.475)]  # fmt: skip


def test_pipeline_and_attribution_reports_through_the_api(client: Any) -> None:
    pipeline = client("/v1/reports/pipeline", params={"by": "year", "segment": "SMB"}).json()
    assert [(r["cut"], r["created"], r["win_rate"]) for r in pipeline["data"]] == [("SMB", 2, 1.0)]
    body = client("/v1/reports/attribution",
                  params={"by": "all", "model": "first_touch"}).json()  # fmt: skip
    assert [(r["key"], r["value"]) for r in body["data"] if r["value"]] == [("search ads", 3800.0)]
    funnel = client("/v1/reports/funnel", params={"by": "all"}).json()
    assert {(r["from_stage"], r["entered"], r["converted"]) for r in funnel["data"]} >= {
        ("known", 3, 2)
    }
    nurture = client("/v1/reports/nurture", params={"by": "year"}).json()
    assert nurture["data"][0]["mean_days"] == 23.5
    revenue = client("/v1/reports/revenue", params={"by": "year"}).json()
    got = [(r["period"], r["new_customer_revenue"], r["cost_per_contract_value"],
            r["leads_created"]) for r in revenue["data"]]  # fmt: skip
    assert got == [("2025", 3000.0, 0.25, 3)]


def test_bad_report_parameters_answer_400_with_what_is_allowed(client: Any) -> None:
    response = client("/v1/reports/pipeline", params={"cut": "colour"})
    assert response.status_code == 400
    assert "allowed: segment, sector" in response.json()["message"]
    response = client("/v1/reports/attribution", params={"model": "magic"})
    assert response.status_code == 400 and "markov_1" in response.json()["message"]


def test_the_postgres_engine_reads_the_store_in_place(client: Any, store: Any) -> None:
    response = client("/v1/reports/cpod", params={"by": "quarter", "engine": "postgres"})
    if store.kind == "sqlite":
        assert response.status_code == 400 and "PostgreSQL store" in response.json()["message"]
    else:
        assert [r["cpod"] for r in response.json()["data"]] == [0.6, 0.475]


def test_costs_through_the_api(client: Any) -> None:
    line = {"month": "2025-07", "kind": "marketing", "program": "Events", "amount": 10.0,
            "channel": "events"}  # fmt: skip
    first = client("/v1/costs", json={"data": [line]})
    assert first.status_code == 200 and first.json() == {"created": 1, "updated": 0,
                                                          "unchanged": 0}  # fmt: skip
    assert client("/v1/costs", json={"data": [line]}).json()["unchanged"] == 1
    listed = client("/v1/costs", params={"since": "2025-06"}).json()
    assert (listed["count"], listed["total"]) == (2, 60.0)
    assert listed["data"][1]["component"] == "events"
    bad = client("/v1/costs", json={"data": [line | {"kind": "finance"}]})
    assert bad.status_code == 400 and "allowed: marketing, sales" in bad.json()["message"]


def test_reports_need_an_admin_key(world: Any) -> None:
    import httpx
    from anyio.from_thread import start_blocking_portal

    c, ws, _ = world
    write = c.workspaces.create_key(ws, scope="write", source="site")
    transport = httpx.ASGITransport(app=create_app(c))
    with start_blocking_portal() as portal:
        http = httpx.AsyncClient(transport=transport, base_url="http://t")
        headers = {"Authorization": f"Bearer {write}"}
        response = portal.call(lambda: http.get("/v1/reports/cpod", headers=headers))
        portal.call(http.aclose)
    assert response.status_code == 401


def test_report_cli_table_csv_json_and_parquet(world: Any, store: Any, tmp_path: Path) -> None:
    args = ["-w", "world", "--database-url", store.url]
    table = runner.invoke(app, ["report", "cpod", "--by", "quarter", *args])
    assert table.exit_code == 0, table.output
    assert "2025-Q1" in table.output and "0.6000" in table.output and "0.4750" in table.output
    as_csv = runner.invoke(app, ["report", "pipeline", "--by", "year", "--cut", "rep",
                                 "--format", "csv", *args])  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert {(r["rep"], r["created"], r["win_rate"]) for r in rows} == {
        ("Rita", "2", "1.0"),
        ("Bo", "2", "0.0"),
    }
    as_json = runner.invoke(app, ["report", "nurture", "--by", "quarter", "--format", "json",
                                  *args])  # fmt: skip
    assert orjson.loads(as_json.stdout)[0]["median_days"] == 23.5
    revenue = runner.invoke(app, ["report", "revenue", "--by", "quarter", "--lookback",
                                  "30", "--format", "csv", *args])  # fmt: skip
    assert revenue.exit_code == 0, revenue.output
    got = {
        r["period"]: r["touching_program_cost"] for r in csv.DictReader(io.StringIO(revenue.stdout))
    }
    assert got == {"2025-Q1": "0.0", "2025-Q2": "0.0"}
    out = tmp_path / "attribution.parquet"
    written = runner.invoke(
        app,
        [
            "report",
            "attribution",
            "--by",
            "all",
            "--model",
            "last_touch",
            "--format",
            "parquet",
            "--out",
            str(out),
            *args,
        ],
    )
    assert written.exit_code == 0, written.output
    credits = pq.read_table(out).select(["channel", "value"]).to_pydict()
    assert {k: v for k, v in zip(*credits.values(), strict=True) if v} == {
        "webinar": 3300.0,
        "email": 500.0,
    }
    refused = runner.invoke(app, ["report", "cpod", "--format", "parquet", *args])
    assert refused.exit_code == 1 and "needs --out FILE" in refused.output


def test_export_parquet_cli_writes_hive_partitions(world: Any, store: Any, tmp_path) -> None:
    out = tmp_path / "export"
    result = runner.invoke(app, ["export", "parquet", str(out), "-w", "world",
                                 "--database-url", store.url])  # fmt: skip
    assert result.exit_code == 0, result.output
    days = sorted(p.name for p in (out / "cost_entries").iterdir())
    assert days == [f"date=2025-0{m}-01" for m in range(1, 7)]
    cpod = runner.invoke(
        app,
        [
            "report",
            "cpod",
            "--by",
            "year",
            "--parquet",
            str(out),
            "--format",
            "json",
            "-w",
            "world",
            "--database-url",
            store.url,
        ],
    )
    assert orjson.loads(cpod.stdout)[0]["cpod"] == pytest.approx(1550 / 3000)
