"""Many rows per SQLite statement, so the writer thread lets go of the GIL once per chunk.

Python's sqlite3 releases the GIL around every ``sqlite3_step`` and takes it back after.
``executemany`` steps once per row: while the event loop is busy parsing the next requests,
each of those re-acquisitions waits for the loop to yield (up to the 5 ms switch interval),
so the writer crawls and requests convoy. One ``INSERT ... VALUES (...), (...)`` per chunk
binds the same values the same way and runs the whole chunk in C with the GIL released.
Rows that conflict, with stored rows or with each other, are skipped as one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import chain
from typing import Any

from sqlalchemy import Connection

MAX_VARIABLES = 32_766
"""Bound parameters per statement: SQLite's limit since 3.32."""


@lru_cache(maxsize=64)
def _statement(table: str, columns: tuple[str, ...], rows: int, tail: str) -> str:
    marks = "(" + ", ".join("?" * len(columns)) + ")"
    values = ", ".join([marks] * rows)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}{tail}"


def chunk_sizes(count: int, width: int) -> list[int]:
    """Statement sizes for ``count`` rows: powers of two, largest first, so a handful of
    statement texts serve every count and stay in the driver's prepared-statement cache.

    >>> chunk_sizes(100, 12)
    [64, 32, 4]
    >>> chunk_sizes(5000, 12)
    [2048, 2048, 512, 256, 128, 8]
    """
    largest = 1 << ((MAX_VARIABLES // width).bit_length() - 1)
    sizes = [largest] * (count // largest)
    rest = count % largest
    while rest:
        top = 1 << (rest.bit_length() - 1)
        sizes.append(top)
        rest -= top
    return sizes


def insert_rows(
    conn: Connection,
    table: str,
    columns: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
    *,
    on_conflict_do_nothing: bool = False,
) -> int:
    """Insert ``rows`` in as few statements as the variable limit allows; return how many
    were stored (skipped conflicts not counted)."""
    values = list(chain.from_iterable(rows))
    return insert_flat(conn, table, columns, values, on_conflict_do_nothing=on_conflict_do_nothing)


def insert_flat(
    conn: Connection,
    table: str,
    columns: tuple[str, ...],
    values: list[Any],
    *,
    on_conflict_do_nothing: bool = False,
) -> int:
    """:func:`insert_rows` of rows given as one flat list of values, ``len(columns)`` per
    row (what an import's reader process ships: no tuple per row to build)."""
    width = len(columns)
    tail = " ON CONFLICT DO NOTHING" if on_conflict_do_nothing else ""
    stored = start = 0
    for size in chunk_sizes(len(values) // width, width):
        end = start + size * width
        sql = _statement(table, columns, size, tail)
        cursor = conn.exec_driver_sql(sql, tuple(values[start:end]))
        start = end
        stored += max(cursor.rowcount, 0)
    return stored
