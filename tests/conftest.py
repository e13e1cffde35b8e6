"""Shared fixtures: a real, migrated store on SQLite and on PostgreSQL, and a workspace.

The PostgreSQL half skips with a visible reason only when no server answers on
127.0.0.1:5432 (database ``test``; override with ``LEADLOOP_TEST_PG_URL``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from handoff_helpers import Receiver
from leadloop.bootstrap import Container, bootstrap
from leadloop.config import Settings
from leadloop.store.migrate import upgrade

PG_URL = os.environ.get("LEADLOOP_TEST_PG_URL", "postgresql+psycopg://127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


def _pg_reason() -> str | None:
    try:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure means: no usable server
        return f"PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}: {str(exc)[:120]}"
    return None


_PG_SKIP = _pg_reason()


@dataclass
class StoreHandle:
    """A migrated, empty store and the URL a separate process can use to reach it."""

    url: str
    kind: str

    def container(self, **overrides: object) -> Container:
        return bootstrap(Settings(database_url=self.url, **overrides))  # type: ignore[arg-type]


def _sqlite_store(tmp_path: Path) -> Iterator[StoreHandle]:
    url = f"sqlite:///{tmp_path / 'leadloop.db'}"
    c = bootstrap(Settings(database_url=url))
    upgrade(c.engine)
    c.close()
    yield StoreHandle(url, "sqlite")


def _pg_store() -> Iterator[StoreHandle]:
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    c = bootstrap(Settings(database_url=url))
    upgrade(c.engine)
    c.close()
    try:
        yield StoreHandle(url, "postgresql")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreHandle]:
    """An empty, migrated store; every test using it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield from _sqlite_store(tmp_path)
    else:
        yield from _pg_store()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[StoreHandle]:
    yield from _sqlite_store(tmp_path)


@pytest.fixture
def container(store: StoreHandle) -> Iterator[Container]:
    c = store.container()
    try:
        yield c
    finally:
        c.close()


@dataclass
class Workspace:
    id: int
    write_key: str
    admin_key: str


@pytest.fixture
def workspace(container: Container) -> Workspace:
    ws = container.workspaces.create_workspace("acme")
    return Workspace(
        ws,
        container.workspaces.create_key(ws, scope="write", source="website"),
        container.workspaces.create_key(ws, scope="admin"),
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real local webhook receiver that verifies signatures (tests/handoff_helpers.py)."""
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()
