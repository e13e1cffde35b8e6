"""The reader process (services/imports/reader_process.py): when it is used, its framing,
and what the parent says when the child cannot go on. That it stores exactly what one
process stores is tested with the importer (test_import_events.py, the ``reader`` fixture)
and against the general parser (test_import_fast_equality.py)."""

from __future__ import annotations

import io
import pickle
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadloop.errors import ValidationError
from leadloop.services.imports import reader_process
from leadloop.services.imports.reader_process import EventFile, chunks, wanted
from leadloop.store.event_rows import ROW_WIDTH

RECEIVED = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)


def _spec(path: Path, chunk_size: int) -> EventFile:
    return EventFile(str(path), "ndjson", chunk_size, 32_768, RECEIVED, None, True, 7, 3, True)


def test_large_ndjson_files_are_read_in_a_second_process_unless_told(tmp_path: Path) -> None:
    small = tmp_path / "small.ndjson"
    small.write_bytes(b"{}\n")
    big = tmp_path / "big.ndjson"
    with big.open("wb") as f:
        f.truncate(reader_process.MIN_BYTES)
    assert not wanted(small, "ndjson", None) and wanted(big, "ndjson", None)
    assert wanted(small, "ndjson", True) and not wanted(big, "ndjson", False)
    for fmt in ("csv", "parquet"):
        assert wanted(big, fmt, None) and not wanted(small, fmt, None)
    assert not wanted(big, "xml", True), "only the formats the importer reads"


def _frames(*messages: object) -> io.BytesIO:
    out = io.BytesIO()
    for m in messages:
        body = pickle.dumps(m)
        out.write(struct.pack("<Q", len(body)) + body)
    return out


def test_frames_are_read_whole_or_not_at_all() -> None:
    stream = _frames(("chunk", 1), ("done",))
    stream.seek(0)
    assert reader_process._receive(stream) == ("chunk", 1)
    assert reader_process._receive(stream) == ("done",)
    assert reader_process._receive(stream) is None
    cut = io.BytesIO(_frames(("chunk", 1)).getvalue()[:-3])
    assert reader_process._receive(cut) is None, "a child killed mid-frame ends the stream"


def test_a_file_the_child_cannot_open_is_refused_with_the_reason(tmp_path: Path) -> None:
    spec = _spec(tmp_path / "gone.ndjson", 10)
    with pytest.raises(ValidationError, match="does not exist"):
        list(chunks(spec))


def test_the_child_converts_in_file_order_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "e.ndjson"
    lines = [
        b'{"type":"page","anonymousId":"a","messageId":"m%d","timestamp":"2025-01-01T00:00:0%dZ"}'
        % (i, i)
        for i in range(5)
    ]
    path.write_bytes(b"\n".join([*lines[:2], b"{bad", *lines[2:]]) + b"\n")
    got = list(chunks(_spec(path, 2)))
    assert [c.first_line for c in got] == [1, 3, 5, 7]  # the last one is empty
    assert [len(c.items) for c in got] == [1, 1, 1, 0], "one block per chunk, none when empty"
    rows = [b.rows[i : i + ROW_WIDTH] for c in got for b in c.items for i in range(0, 24, 12)]
    assert [r[4] for r in rows if r] == [f"m{i}" for i in range(5)]  # message ids in order
    assert [(r.line, "not valid JSON" in r.reason) for c in got for r in c.rejects] == [(3, True)]
    assert got[-1].read == 6 and got[-1].position == path.stat().st_size
    first = got[0].items[0]
    assert first.received_at == RECEIVED and first.pairs == [("a", None)]
    assert first.rows[:12] == [
        7, 3, 1735689600000, first.rows[3], "m0", None, "page", None,
        "2025-01-01 00:00:00.000000", "2026-05-06 07:08:09.000000",
        '{"originalTimestamp":"2025-01-01T00:00:00+00:00"}', None,
    ]  # fmt: skip


def test_the_child_reads_csv_through_the_mapping(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text(
        "kind,who,what,at,seats\n"
        "track,u1,Read,2025-01-01T00:00:00Z,3\n"
        "track,u2,Read,2025-01-01T00:00:01Z,many\n"
        "page,u1,,2025-01-01T00:00:02Z,\n"
    )
    mapping = {"kind": "type", "who": "userId", "what": "event", "at": "timestamp",
               "seats": "properties.n:int"}  # fmt: skip
    spec = EventFile(str(path), "csv", 10, 32_768, RECEIVED, "track", True, 7, 3, True, mapping)
    (chunk,) = list(chunks(spec))
    (block,) = chunk.items
    assert block.pairs == [(None, "u1")] and block.pair_of == [0, 0]
    first = block.rows[:ROW_WIDTH]
    assert first[6:8] == ["track", "Read"] and '"properties":{"n":3}' in first[10]
    assert [(r.line, "not an int" in r.reason) for r in chunk.rejects] == [(3, True)]
