"""`run_report`: one report, by name, on one engine (what the CLI and the API call)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine

from leadloop.analytics.attribution_report import attribution_report
from leadloop.analytics.reports import (
    REPORTS,
    Filters,
    Report,
    cpod_report,
    funnel_report,
    nurture_report,
    pipeline_report,
    revenue_report,
)
from leadloop.analytics.warehouse import Warehouse, open_warehouse
from leadloop.errors import ValidationError

logger = logging.getLogger(__name__)

BUILDERS: Final[dict[str, Callable[[Warehouse, Filters], Report]]] = {
    "cpod": cpod_report,
    "pipeline": pipeline_report,
    "funnel": funnel_report,
    "attribution": attribution_report,
    "nurture": nurture_report,
    "revenue": revenue_report,
}


def build_report(wh: Warehouse, name: str, filters: Filters) -> Report:
    """Report ``name`` (one of :data:`REPORTS`) on an open warehouse."""
    if name not in BUILDERS:
        raise ValidationError(f"unknown report {name!r}; allowed: {', '.join(REPORTS)}")
    started = time.perf_counter()
    report = BUILDERS[name](wh, filters)
    logger.info("report.built", extra={"fields": {
        "report": name, "engine": wh.name, "rows": len(report.rows),
        "seconds": round(time.perf_counter() - started, 3)}})  # fmt: skip
    return report


def run_report(
    engine: Engine,
    workspace_id: int,
    name: str,
    filters: Filters,
    *,
    engine_name: str = "duckdb",
    parquet: Path | None = None,
    spark: Any = None,
) -> Report:
    """Open the warehouse on ``engine_name``, build report ``name``, close it."""
    if name not in BUILDERS:
        raise ValidationError(f"unknown report {name!r}; allowed: {', '.join(REPORTS)}")
    wh = open_warehouse(engine_name, engine, workspace_id, parquet=parquet, spark=spark)
    try:
        return build_report(wh, name, filters)
    finally:
        wh.close()
