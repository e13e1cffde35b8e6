"""One code path, three engines: a :class:`Warehouse` hands out the same Ibis tables on
DuckDB (embedded, the default), PostgreSQL (the operational store in place) and Spark
(PySpark; local mode in tests), so every query in :mod:`leadloop.analytics.queries` is
written once and runs unchanged on each.

DuckDB and Spark load the store's rows streamed through SQLAlchemy into Arrow, or read a
Parquet export (``leadloop export parquet``). Tables are loaded on first use and every
table is filtered to one workspace.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import ibis
from ibis.expr.types import Table
from sqlalchemy import Engine, make_url

from leadloop.analytics.sources import SCHEMAS, parquet_arrow, store_arrow
from leadloop.errors import ValidationError

logger = logging.getLogger(__name__)

ENGINES: Final = ("duckdb", "postgres", "spark")
IN_STORE: Final = frozenset({"accounts", "touches"})
"""Tables decoded from JSON in Python (account traits, event payloads) on every engine."""


class Warehouse:
    """Ibis tables of one workspace on one engine; ``con`` is the Ibis backend."""

    def __init__(
        self, name: str, con: Any, workspace_id: int, load: Callable[[str], Table]
    ) -> None:
        self.name, self.con, self.workspace_id, self._load = name, con, workspace_id, load
        self._tables: dict[str, Table] = {}

    def table(self, name: str) -> Table:
        """Table ``name`` (a key of ``SCHEMAS``), filtered to this workspace."""
        if name not in SCHEMAS:
            raise ValidationError(f"no analytics table {name!r}; allowed: {', '.join(SCHEMAS)}")
        if name not in self._tables:
            started = time.perf_counter()
            t = self._load(name)
            self._tables[name] = t.filter(t.workspace_id == self.workspace_id)
            logger.info("analytics.table_loaded", extra={"fields": {
                "engine": self.name, "table": name,
                "seconds": round(time.perf_counter() - started, 3)}})  # fmt: skip
        return self._tables[name]

    def close(self) -> None:
        if self.name != "spark":  # the SparkSession belongs to whoever made it
            self.con.disconnect()


def duckdb_warehouse(
    engine: Engine | None, workspace_id: int, parquet: Path | None = None
) -> Warehouse:
    """DuckDB in memory over the store (rows streamed into Arrow) or a Parquet export."""
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    return Warehouse("duckdb", con, workspace_id, _loader(con, engine, workspace_id, parquet))


def spark_warehouse(
    session: Any, engine: Engine | None, workspace_id: int, parquet: Path | None = None
) -> Warehouse:
    """PySpark (any master; ``local[2]`` in tests) over the store or a Parquet export."""
    session.conf.set("spark.sql.session.timeZone", "UTC")
    con = ibis.pyspark.connect(session)
    load = _loader(con, engine, workspace_id, parquet, session)
    return Warehouse("spark", con, workspace_id, load)


def postgres_warehouse(engine: Engine, workspace_id: int) -> Warehouse:
    """PostgreSQL reading the operational store's own tables in place."""
    if engine.dialect.name != "postgresql":
        raise ValidationError(
            f"--engine postgres needs a PostgreSQL store; this one is {engine.dialect.name} "
            "(use --engine duckdb, or point LEADLOOP_DATABASE_URL at PostgreSQL)"
        )
    url = make_url(engine.url)
    schema = _search_path(url.query.get("options"))
    con = ibis.postgres.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password,
        database=url.database, schema=schema,
    )  # fmt: skip
    con.raw_sql("SET TIME ZONE 'UTC'")

    def load(name: str) -> Table:
        if name in IN_STORE:
            return con.create_table(
                f"_ll_{name}", store_arrow(engine, name, workspace_id), temp=True, overwrite=True
            )
        if name == "opportunity_contacts":
            oc, o = con.table("opportunity_contacts"), con.table("opportunities")
            joined = oc.join(o, oc.opportunity_id == o.id)
            return joined.select(
                workspace_id=o.workspace_id.cast("int64"), opportunity_id=oc.opportunity_id,
                contact_id=oc.contact_id, is_primary=oc.is_primary,
            )  # fmt: skip
        return _typed(con.table(name), name)

    return Warehouse("postgres", con, workspace_id, load)


def _search_path(options: Any) -> str | None:
    text = options if isinstance(options, str) else " ".join(options or ())
    for part in text.split():
        if part.startswith("-csearch_path="):
            return part.split("=", 1)[1].split(",")[0]
    return None


def _typed(t: Table, name: str) -> Table:
    """The columns of :data:`SCHEMAS` with its types (PostgreSQL ints are int32 here)."""
    schema = ibis.Schema.from_pyarrow(SCHEMAS[name])
    return t.select(**{col: t[col].cast(typ) for col, typ in schema.items()})


def _loader(
    con: Any,
    engine: Engine | None,
    workspace_id: int,
    parquet: Path | None,
    spark: Any = None,
) -> Callable[[str], Table]:
    def load(name: str) -> Table:
        if parquet is not None:
            data = parquet_arrow(parquet, name)
        elif engine is not None:
            data = store_arrow(engine, name, workspace_id)
        else:
            raise ValidationError("a warehouse needs a store or a Parquet export to read")
        if spark is not None:  # a temporary view: nothing written to a spark-warehouse folder
            spark.createDataFrame(data).createOrReplaceTempView(f"ll_{name}")
            return _typed(con.table(f"ll_{name}"), name)
        return _typed(con.create_table(f"ll_{name}", data, overwrite=True), name)

    return load


def open_warehouse(
    name: str,
    engine: Engine,
    workspace_id: int,
    *,
    parquet: Path | None = None,
    spark: Any = None,
) -> Warehouse:
    """The warehouse on engine ``name`` (one of :data:`ENGINES`)."""
    if name == "duckdb":
        return duckdb_warehouse(engine, workspace_id, parquet)
    if name == "postgres":
        if parquet is not None:
            raise ValidationError(
                "--engine postgres reads the store in place, not Parquet exports; "
                "use --engine duckdb or spark with --parquet"
            )
        return postgres_warehouse(engine, workspace_id)
    if name == "spark":
        return spark_warehouse(spark or local_spark(), engine, workspace_id, parquet)
    raise ValidationError(f"unknown engine {name!r}; allowed: {', '.join(ENGINES)}")


def local_spark(cores: int = 2) -> Any:
    """A local SparkSession (the JVM starts once per process; about 18 s the first time)."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("leadloop")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
