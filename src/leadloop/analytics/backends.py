"""Ibis backends for analytics: in-process DuckDB, or PySpark in local mode.

Nothing here downloads anything: DuckDB reads Parquet natively (no extension), Spark runs
``local[2]`` on the installed JVM.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import ibis

logger = logging.getLogger(__name__)

EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")


def connect(name: str, *, spark_master: str = "local[2]") -> Any:
    """An Ibis connection for ``name`` (duckdb or spark)."""
    if name == "duckdb":
        return ibis.duckdb.connect()
    if name == "spark":
        from pyspark.sql import SparkSession

        session = (
            SparkSession.builder.master(spark_master)
            .appName("leadloop")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        return ibis.pyspark.connect(session)
    raise ValueError(f"unknown analytics engine {name!r}; allowed: {', '.join(ENGINES)}")


def close(con: Any) -> None:
    """Release what a connection holds (the Spark session; DuckDB's in-memory database)."""
    session = getattr(con, "_session", None)
    if session is not None:
        session.stop()
    else:
        con.disconnect()
