"""The cost ledger and the revenue reports (admin key).

``POST/GET /v1/costs`` write and read cost lines; ``GET /v1/reports/{name}`` runs a report
(cpod, pipeline, funnel, attribution, nurture) on DuckDB (default), PostgreSQL or Spark,
the same code path as ``leadloop report``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from leadloop.analytics.reports import Filters
from leadloop.analytics.run import run_report
from leadloop.api.analytics_schemas import (
    AttributionReport,
    AttributionRow,
    CostPublic,
    CostsCreate,
    CostsPublic,
    CostsWritten,
    CpodReport,
    CpodRow,
    FunnelReport,
    FunnelRow,
    NurtureReport,
    NurtureRow,
    PipelineReport,
    PipelineRow,
    RevenueReport,
    RevenueRow,
)
from leadloop.api.deps import AdminKey, ContainerDep
from leadloop.api.schemas import ErrorBody
from leadloop.domain.costs import cost_line_from_record, parse_month

router = APIRouter(tags=["analytics"])

_400 = {"model": ErrorBody, "description": "A bad value (grain, cut, model, engine...)."}
_401 = {"model": ErrorBody, "description": "Missing or unknown key, or not an admin key."}
_422 = {"model": ErrorBody, "description": "Invalid field(s)."}
RESPONSES: dict[int | str, dict[str, Any]] = {400: _400, 401: _401, 422: _422}


@router.post("/v1/costs", response_model=CostsWritten, responses=RESPONSES)
def add_costs(body: CostsCreate, container: ContainerDep, key: AdminKey) -> CostsWritten:
    """Add or correct cost lines; reloading the same lines changes nothing."""
    lines = [cost_line_from_record(item.model_dump()) for item in body.data]
    r = container.costs.apply(key.workspace_id, lines, "api")
    return CostsWritten(created=r.created, updated=r.updated, unchanged=r.unchanged)


@router.get("/v1/costs", response_model=CostsPublic, responses=RESPONSES)
def list_costs(
    container: ContainerDep,
    key: AdminKey,
    since: str | None = Query(None, description="First month, YYYY-MM."),
    until: str | None = Query(None, description="Last month, YYYY-MM."),
    kind: str | None = Query(None, description="marketing or sales."),
    program: str | None = Query(None, description="Only this program."),
) -> CostsPublic:
    """Cost lines, oldest month first."""
    lines = container.costs.lines(
        key.workspace_id, since=parse_month(since) if since else None,
        until=parse_month(until) if until else None, kind=kind, program=program,
    )  # fmt: skip
    data = [CostPublic(**{f: getattr(x, f) for f in CostPublic.model_fields}) for x in lines]
    return CostsPublic(data=data, count=len(data), total=sum(x.amount for x in lines))


class _Query:
    """The query parameters every report takes."""

    def __init__(
        self,
        by: str = Query("quarter", description="month, quarter, year or all."),
        cut: str | None = Query(
            None,
            description="segment, sector, region, rep, product, "
            "type, persona (what the report allows).",
        ),
        segment: str | None = Query(None, description="Only this segment (cuts by it)."),
        persona: str | None = Query(None, description="Only this persona (cuts by it)."),
        channel: str | None = Query(None, description="Attribution: only this channel."),
        model: str = Query("linear", description="Attribution model (markov_1, shapley...)."),
        dimension: str = Query("channel", description="channel, program or content."),
        level: str = Query("account", description="account or contact."),
        outcome: str = Query("pipeline", description="pipeline or revenue."),
        lookback: int = Query(
            90,
            ge=1,
            description="Lookback in days: attribution, and the programs that touched a won "
            "deal (revenue).",
        ),
        engine: str = Query("duckdb", description="duckdb, postgres or spark."),
    ) -> None:
        cut = cut or ("segment" if segment else "persona" if persona else None)
        self.engine = engine
        self.by = by
        self.filters = Filters(None if by == "all" else by, cut, segment, persona, channel,
                               model, dimension, level, outcome, lookback)  # fmt: skip


ReportQuery = Annotated[_Query, Depends()]


def _run(container: Any, key: Any, name: str, q: _Query, row: type[BaseModel]) -> Any:
    report = run_report(container.engine, key.workspace_id, name, q.filters,
                        engine_name=q.engine)  # fmt: skip
    fields = list(row.model_fields)
    data = [row(**dict(zip(fields, r, strict=True))) for r in report.rows]
    return {"name": name, "title": report.title, "engine": q.engine, "by": q.by,
            "count": len(data), "data": data}  # fmt: skip


def _register(name: str, model: type[BaseModel], row: type[BaseModel], doc: str) -> None:
    def endpoint(container: ContainerDep, key: AdminKey, q: ReportQuery) -> Any:
        return _run(container, key, name, q, row)

    endpoint.__doc__ = doc
    endpoint.__name__ = f"report_{name}"
    router.get(f"/v1/reports/{name}", response_model=model, responses=RESPONSES)(endpoint)


_register(
    "cpod",
    CpodReport,
    CpodRow,
    "CPOD per period: (marketing + sales cost) / booked order revenue, and its trend.",
)
_register(
    "pipeline",
    PipelineReport,
    PipelineRow,
    "Pipeline created and deals closed per period and cut: win rate, deal size, cycle.",
)
_register(
    "funnel",
    FunnelReport,
    FunnelRow,
    "Funnel conversion between lifecycle stages per period of entry.",
)
_register(
    "attribution",
    AttributionReport,
    AttributionRow,
    "Pipeline or revenue credited to channels, programs or content by a model.",
)
_register(
    "nurture",
    NurtureReport,
    NurtureRow,
    "Nurture period (first touch or recycle to sales_ready) per period, and its trend.",
)
_register(
    "revenue",
    RevenueReport,
    RevenueRow,
    "Revenue from new and existing customers, cost per contract value (cost of the programs "
    "that touched the deals won / their contract value) and cost per lead, per period.",
)
