"""Engines for the two supported stores, with SQLite tuned for an embedded ingest server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import ConnectionPoolEntry


def make_engine(url: str, *, sqlite_synchronous: str = "FULL", echo: bool = False) -> Engine:
    """Build an engine; SQLite gets WAL, a busy timeout, foreign keys and a large cache."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False}
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
            # Let SQLAlchemy's BEGIN be the transaction start (pysqlite's own is off).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA cache_size=-131072")  # 128 MiB
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.execute("PRAGMA mmap_size=268435456")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # Writers ask for IMMEDIATE: the write lock up front, so two writers queue instead
            # of failing on lock upgrade; readers stay deferred and never block in WAL mode.
            if conn.get_execution_options().get("sqlite_immediate"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def dbapi_connection(conn: Connection) -> Any:
    """The driver's own connection under ``conn``'s transaction (bulk paths bypass SQLAlchemy)."""
    raw = conn.connection.driver_connection
    if raw is None:  # pragma: no cover - a live connection always has one
        raise RuntimeError("no DBAPI connection under this transaction")
    return raw


def utcnow() -> datetime:
    return datetime.now(UTC)


def db_time(engine: Engine, value: datetime) -> Any:
    """A timestamp as the driver-level insert expects it, matching SQLAlchemy's own format."""
    if engine.dialect.name == "sqlite":
        return sqlite_text(value if value.tzinfo is UTC else value.astimezone(UTC))
    return value


def sqlite_text(value: datetime) -> str:
    """SQLAlchemy's SQLite DateTime text for an aware UTC datetime (the hot-path form)."""
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def as_utc(value: datetime | None) -> datetime | None:
    """Timestamps read back from SQLite are naive UTC; make every read aware."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write. On SQLite it takes the write lock up front
    (``BEGIN IMMEDIATE``): a deferred one that reads, then writes, fails at once with
    "database is locked" when another writer committed in between, instead of waiting."""
    with engine.connect() as conn:
        conn.execution_options(sqlite_immediate=True)
        with conn.begin():
            yield conn
