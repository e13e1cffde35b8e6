"""Alembic: `upgrade head` builds exactly the schema the code declares, on both stores."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from leadloop.store.migrate import current_revision, upgrade
from leadloop.store.tables import metadata


def test_upgrade_head_leaves_no_diff(container):
    with container.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_upgrade_is_idempotent_and_records_revision(container):
    before = current_revision(container.engine)
    upgrade(container.engine)
    assert current_revision(container.engine) == before
    assert before is not None


def test_every_declared_table_exists(container):
    names = set(inspect(container.engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= names


def test_sqlite_runs_in_wal_mode(sqlite_store):
    c = sqlite_store.container()
    try:
        with c.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        c.close()
