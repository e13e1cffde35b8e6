"""Engine fixtures: one hand-written world per store, one SparkSession per test session.

``wh`` is parametrised over DuckDB, PostgreSQL and PySpark local mode: every test using it
runs the same queries on each engine. PostgreSQL skips, with its reason, only when no
server answers on 127.0.0.1:5432.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from engine_world import load, pg_container, pg_reason, sqlite_container

from leadloop.analytics.warehouse import Warehouse, open_warehouse

ENGINES = ("duckdb", "postgres", "spark")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The one local SparkSession of the test run (the JVM starts once, ~20 s)."""
    pytest.importorskip("pyspark")
    from leadloop.analytics.warehouse import local_spark

    session = local_spark(2)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, int]]:
    tmp = tmp_path_factory.mktemp("world")
    with sqlite_container(tmp) as c:
        yield c, load(c, tmp)


@pytest.fixture(scope="session")
def pg_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, int]]:
    reason = pg_reason()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("pgworld")
    with pg_container() as c:
        yield c, load(c, tmp)


def open_engine(
    request: pytest.FixtureRequest, name: str, world: str, workspace: str | None = None
) -> Warehouse:
    """A warehouse on engine ``name`` over the world fixture named ``world`` + store kind."""
    store = "pg" if name == "postgres" else "sqlite"
    c, ws = request.getfixturevalue(f"{store}_{world}")
    ws = c.workspaces.workspace_id(workspace) if workspace else ws
    session = request.getfixturevalue("spark") if name == "spark" else None
    return open_warehouse(name, c.engine, ws, spark=session)


@pytest.fixture(scope="session", params=ENGINES)
def wh(request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    """The hand-written world on each engine."""
    warehouse = open_engine(request, request.param, "world")
    yield warehouse
    warehouse.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """py4j leaves its gateway sockets to the garbage collector: on Spark tests only, the
    ResourceWarning that raises is not ours to fix."""
    quiet = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
    for item in items:
        callspec = getattr(item, "callspec", None)
        engine = callspec.params.get("wh") if callspec is not None else None
        _gaps(item, engine)
        if engine == "spark":
            item.add_marker(quiet)
            item.add_marker(pytest.mark.filterwarnings("ignore::ResourceWarning"))
            # PySpark 4.0's toPandas uses pandas 3 options and keywords deprecated for pandas 4
            item.add_marker(pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"))


def _gaps(item: pytest.Item, engine: str | None) -> None:
    """``@pytest.mark.notimpl(["postgres"], raises=Error, reason=...)``: on those engines the
    test must fail with that exception (strict xfail), so a gap that closes is noticed."""
    for name in ("notimpl", "notyet"):
        for mark in item.iter_markers(name):
            if engine in mark.args[0]:
                item.add_marker(pytest.mark.xfail(
                    raises=mark.kwargs["raises"], strict=True,
                    reason=f"{name} on {engine}: {mark.kwargs.get('reason', '')}"))  # fmt: skip
