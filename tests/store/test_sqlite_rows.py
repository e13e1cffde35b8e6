"""Multi-row inserts store what ``executemany`` stores, value for value and type for type,
and skip the same conflicts, within a chunk and across chunks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from leadloop.store import sqlite_rows
from leadloop.store.sqlite_rows import chunk_sizes, insert_rows

COLUMNS = ("k1", "k2", "txt", "num", "blob_or_null")
VALUES = (
    st.none()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=5)
    | st.binary(max_size=3)
)
ROWS = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 3), st.text(max_size=6), VALUES, VALUES),
    max_size=40,
)


def _store(tmp: Path, name: str, rows: list[tuple[Any, ...]], multi: bool) -> tuple[int, list[Any]]:
    engine = create_engine(f"sqlite:///{tmp / name}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS t (k1 INTEGER, k2 INTEGER, txt TEXT, num, blob_or_null, "
            "PRIMARY KEY (k1, k2))"
        )
        conn.exec_driver_sql("DELETE FROM t")
        if multi:
            stored = insert_rows(conn, "t", COLUMNS, rows, on_conflict_do_nothing=True)
        elif not rows:
            stored = 0  # executemany needs at least one row; the store never sends none
        else:
            sql = "INSERT INTO t (k1, k2, txt, num, blob_or_null) VALUES (?, ?, ?, ?, ?) "
            stored = conn.exec_driver_sql(sql + "ON CONFLICT DO NOTHING", rows).rowcount
        found = conn.exec_driver_sql(
            "SELECT k1, k2, txt, num, typeof(num), blob_or_null, typeof(blob_or_null) FROM t "
            "ORDER BY rowid"
        ).all()
    engine.dispose()
    return stored, [tuple(r) for r in found]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=ROWS, small=st.booleans())
def test_multi_row_insert_equals_executemany(
    tmp_path: Path, monkeypatch: Any, rows: list[tuple[Any, ...]], small: bool
) -> None:
    # A tiny variable limit forces many chunks, so conflicts cross chunk boundaries.
    monkeypatch.setattr(sqlite_rows, "MAX_VARIABLES", 16 if small else 32_766)
    sqlite_rows._statement.cache_clear()
    if rows:
        assert sum(chunk_sizes(len(rows), len(COLUMNS))) == len(rows)
    assert _store(tmp_path, "multi.db", rows, True) == _store(tmp_path, "each.db", rows, False)


def test_chunk_sizes_cover_every_count() -> None:
    for width in (1, 5, 12, 40):
        for count in range(0, 5000, 37):
            sizes = chunk_sizes(count, width)
            assert sum(sizes) == count
            assert all(s * width <= sqlite_rows.MAX_VARIABLES for s in sizes)
            assert len(set(sizes)) == len(sizes) or sizes.count(max(sizes)) > 1
