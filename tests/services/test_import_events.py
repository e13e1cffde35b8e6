"""`import_events` on SQLite and PostgreSQL: NDJSON, CSV and Parquet, reruns, quarantine."""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from leadloop.bootstrap import Container
from leadloop.errors import ValidationError
from leadloop.services.imports import ImportProgress, ImportReport, import_events
from leadloop.store.directory import SqlDirectory
from leadloop.store.engine import as_utc
from leadloop.store.tables import events, quarantine

Workspace = Any  # tests/conftest.py's Workspace dataclass


def _track(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Content Viewed",
        "anonymousId": f"anon-{i % 7}",
        "messageId": f"m-{i}",
        "timestamp": f"2025-03-01T10:{i // 60 % 60:02d}:{i % 60:02d}Z",
        "properties": {"asset": f"/white-paper/{i}"},
        **extra,
    }


@pytest.fixture(params=[False, True], ids=["in-process", "reader-process"])
def reader(request: pytest.FixtureRequest) -> bool:
    """Convert in this process, or in the reader process (services/imports/reader_process)."""
    return bool(request.param)


def _ndjson(path: Path, items: Iterable[object]) -> Path:
    with path.open("wb") as f:
        for item in items:
            f.write(item if isinstance(item, bytes) else orjson.dumps(item))
            f.write(b"\n")
    return path


def _run(
    container: Container, workspace: Workspace, path: Path, source: str = "import", **kw: Any
) -> ImportReport:
    source_id = container.workspaces.source_id(workspace.id, source)
    return import_events(
        container.ingest_store,
        SqlDirectory(container.engine),
        workspace_id=workspace.id,
        source_id=source_id,
        path=path,
        **kw,
    )


def _count(container: Container, table: Any, workspace_id: int) -> int:
    with container.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(table).where(table.c.workspace_id == workspace_id)
            ).scalar_one()
        )


def _quarantined(container: Container, workspace_id: int) -> list[Any]:
    with container.engine.connect() as conn:
        return list(
            conn.execute(
                select(
                    quarantine.c.source, quarantine.c.line, quarantine.c.reason, quarantine.c.raw
                )
                .where(quarantine.c.workspace_id == workspace_id)
                .order_by(quarantine.c.line)
            )
        )


def _stored(container: Container, workspace_id: int) -> list[Any]:
    with container.engine.connect() as conn:
        return list(
            conn.execute(
                select(events.c.message_id, events.c.type, events.c.event, events.c.timestamp,
                       events.c.payload_json)
                .where(events.c.workspace_id == workspace_id)
                .order_by(events.c.id)
            )
        )  # fmt: skip


def test_ndjson_import_stores_events_and_a_rerun_adds_nothing(
    container: Container, workspace: Workspace, tmp_path: Path, reader: bool
) -> None:
    items: list[dict[str, Any]] = [_track(i) for i in range(40)]
    items.append(
        {
            "type": "identify",
            "anonymousId": "anon-1",
            "userId": "u-1",
            "messageId": "m-id",
            "traits": {"email": "ana@acme.example", "phone": "555"},
        }
    )
    items.append({"type": "page", "anonymousId": "anon-2", "name": "Pricing", "messageId": "m-p"})
    path = _ndjson(tmp_path / "events.ndjson", items)
    seen: list[ImportProgress] = []

    first = _run(
        container, workspace, path, chunk_size=16, progress=seen.append, reader_process=reader
    )

    assert (first.read, first.stored, first.duplicates, first.rejected) == (42, 42, 0, 0)
    assert first.format == "ndjson" and first.source == "import:events.ndjson"
    assert _count(container, events, workspace.id) == 42
    assert seen and seen[-1].bytes_done == seen[-1].bytes_total == path.stat().st_size
    assert [p.read for p in seen] == sorted(p.read for p in seen)

    again = _run(container, workspace, path, chunk_size=16, reader_process=reader)

    assert (again.read, again.stored, again.duplicates, again.rejected) == (42, 0, 42, 0)
    assert _count(container, events, workspace.id) == 42


def test_bad_lines_are_quarantined_with_line_and_reason_while_good_ones_are_stored(
    container: Container, workspace: Workspace, tmp_path: Path, reader: bool
) -> None:
    path = _ndjson(
        tmp_path / "events.ndjson",
        [
            _track(1),  # line 1
            b"{not json",  # 2
            b"",  # 3: blank, skipped
            b"[1, 2]",  # 4
            {"type": "track", "event": "x"},  # 5: no user
            {"type": "fly", "anonymousId": "a"},  # 6
            _track(7, properties={"blob": "x" * 600}),  # 7: longer than the limit
            {**_track(8), "event": "e" * 300},  # 8: event name the column cannot hold
            b"\x00\xff garbage",  # 9
            _track(10),  # 10
        ],
    )

    report = _run(container, workspace, path, max_message_bytes=500, reader_process=reader)

    assert (report.read, report.stored, report.rejected) == (9, 2, 7)
    rows = _quarantined(container, workspace.id)
    assert [r.line for r in rows] == [2, 4, 5, 6, 7, 8, 9]
    assert {r.source for r in rows} == {"import:events.ndjson"}
    reasons = {r.line: r.reason for r in rows}
    assert "not valid JSON" in reasons[2]
    assert "JSON array" in reasons[4] and "jq" in reasons[4]
    assert "userId or anonymousId" in reasons[5]
    assert "type must be one of" in reasons[6]
    assert "500-byte limit" in reasons[7]
    assert "longer than 255" in reasons[8]
    assert rows[0].raw == "{not json"
    assert "\x00" not in rows[-1].raw
    assert [r.line for r in report.first_rejects] == [2, 4, 5, 6, 7]

    again = _run(container, workspace, path, max_message_bytes=500, reader_process=reader)

    assert (again.stored, again.duplicates, again.rejected) == (0, 2, 7)
    assert len(_quarantined(container, workspace.id)) == 7, "a rerun must not quarantine twice"


def test_messages_without_message_id_get_an_id_from_their_content(
    container: Container, workspace: Workspace, tmp_path: Path
) -> None:
    bare = [{k: v for k, v in _track(i).items() if k != "messageId"} for i in range(5)]
    first = _run(container, workspace, _ndjson(tmp_path / "a.ndjson", bare))
    # Another file, other key order and spacing, same content: still the same events.
    reordered = [orjson.dumps(dict(reversed(list(m.items())))) + b"  " for m in bare]
    second = _run(container, workspace, _ndjson(tmp_path / "b.jsonl", reordered))

    assert (first.stored, second.stored, second.duplicates) == (5, 0, 5)
    ids = [row.message_id for row in _stored(container, workspace.id)]
    assert len(set(ids)) == 5 and all(len(i) == 36 for i in ids)


def test_historical_timestamps_are_kept_and_not_skew_corrected(
    container: Container, workspace: Workspace, tmp_path: Path
) -> None:
    line = _track(
        1,
        timestamp="2020-05-04T03:02:01Z",
        sentAt="2020-05-04T03:02:09Z",
        receivedAt="2020-05-04T03:02:10Z",
    )
    report = _run(container, workspace, _ndjson(tmp_path / "old.ndjson", [line]))

    assert report.stored == 1
    (row,) = _stored(container, workspace.id)
    assert as_utc(row.timestamp) == datetime(2020, 5, 4, 3, 2, 1, tzinfo=UTC)
    payload = orjson.loads(row.payload_json)
    assert payload["sentAt"].startswith("2020-05-04T03:02:09")


def test_gzip_ndjson_is_read_and_progress_counts_compressed_bytes(
    container: Container, workspace: Workspace, tmp_path: Path, reader: bool
) -> None:
    path = tmp_path / "events.ndjson.gz"
    with gzip.open(path, "wb") as f:
        for i in range(30):
            f.write(orjson.dumps(_track(i)) + b"\n")
    seen: list[ImportProgress] = []

    report = _run(container, workspace, path, progress=seen.append, reader_process=reader)

    assert report.stored == 30
    assert seen[-1].bytes_done == seen[-1].bytes_total == path.stat().st_size


def test_an_interrupted_file_keeps_what_was_stored_and_a_rerun_finishes_it(
    container: Container, workspace: Workspace, tmp_path: Path, reader: bool
) -> None:
    whole = tmp_path / "whole.ndjson.gz"
    with gzip.open(whole, "wb") as f:
        for i in range(3000):
            f.write(orjson.dumps(_track(i, properties={"n": i, "pad": str(i) * 40})) + b"\n")
    cut = tmp_path / "events.ndjson.gz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])

    with pytest.raises(ValidationError, match=r"cannot read events\.ndjson\.gz after line"):
        _run(container, workspace, cut, chunk_size=100, reader_process=reader)
    partial = _count(container, events, workspace.id)
    assert 0 < partial < 3000

    cut.write_bytes(whole.read_bytes())
    report = _run(container, workspace, cut, chunk_size=100, reader_process=reader)

    assert report.duplicates == partial and report.stored == 3000 - partial
    assert _count(container, events, workspace.id) == 3000


CSV_TEXT = (
    "user_email,ts,kind,name,anon,plan,seats,note\r\n"
    'ana@acme.example,2025-01-02T03:04:05Z,track,Trial Started,a-1,pro,5,"two\r\nlines"\r\n'
    "bo@beta.example,2025-01-02T04:00:00Z,track,Trial Started,a-2,team,many,x\r\n"
    ",,,,,,,\r\n"
    "cy@gamma.example,2025-01-03T00:00:00Z,identify,,a-3,,,\r\n"
    "too,few\r\n"
)
CSV_MAPPING = {
    "user_email": "traits.email",
    "ts": "timestamp",
    "kind": "type",
    "name": "event",
    "anon": "anonymousId",
    "plan": "properties.plan",
    "seats": "properties.seats:int",
}


def test_csv_with_a_column_mapping(
    container: Container, workspace: Workspace, tmp_path: Path, reader: bool
) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(CSV_TEXT.encode())

    report = _run(container, workspace, path, mapping=CSV_MAPPING, reader_process=reader)

    assert (report.read, report.stored, report.rejected) == (4, 2, 2)
    assert report.ignored_columns == ("note",)
    rejected = {r.line: r.reason for r in _quarantined(container, workspace.id)}
    # Line numbers are the file's: the first row's quoted cell spans lines 2-3.
    assert set(rejected) == {4, 7}
    assert "column 'seats'" in rejected[4] and "not an int" in rejected[4]
    assert "2 cells; the header has 8" in rejected[7]
    track, identify = _stored(container, workspace.id)
    assert (track.type, track.event) == ("track", "Trial Started")
    assert orjson.loads(track.payload_json)["properties"] == {"plan": "pro", "seats": 5}
    assert orjson.loads(identify.payload_json)["traits"] == {"email": "cy@gamma.example"}

    again = _run(container, workspace, path, mapping=CSV_MAPPING, reader_process=reader)

    assert (again.stored, again.duplicates) == (0, 2)
    assert len(_quarantined(container, workspace.id)) == 2


def test_csv_whose_columns_are_segment_names_needs_no_mapping(
    container: Container, workspace: Workspace, tmp_path: Path, reader: bool
) -> None:
    path = tmp_path / "segment.csv"
    path.write_text(
        "type;event;user_id;timestamp;properties.url;context\n"
        'track;Signed Up;u1;2025-01-01T00:00:00Z;https://acme.example/;{"locale":"pt-BR"}\n'
        "track;Signed Up;u2;2025-01-01T00:00:01Z;;\n"
    )

    report = _run(container, workspace, path, reader_process=reader)

    assert (report.stored, report.ignored_columns) == (2, ())
    first = orjson.loads(_stored(container, workspace.id)[0].payload_json)
    assert first["properties"] == {"url": "https://acme.example/"}
    assert first["context"] == {"locale": "pt-BR"}


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"nope": "userId"}, "does not have"),
        ({"kind": "colour"}, "not a events field"),
        ({"seats": "properties.seats:decimal"}, "unknown type"),
        ({"anon": "type", "kind": "event"}, "no column maps to userId or anonymousId"),
    ],
)
def test_unusable_mappings_are_refused_before_anything_is_stored(
    container: Container,
    workspace: Workspace,
    tmp_path: Path,
    mapping: dict[str, str],
    message: str,
) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(CSV_TEXT.encode())

    with pytest.raises(ValidationError, match=message):
        _run(container, workspace, path, mapping=mapping)
    assert _count(container, events, workspace.id) == 0


def test_ndjson_refuses_a_mapping_and_unknown_formats_are_refused(
    container: Container, workspace: Workspace, tmp_path: Path
) -> None:
    path = _ndjson(tmp_path / "events.ndjson", [_track(1)])
    with pytest.raises(ValidationError, match="--map applies to CSV and Parquet"):
        _run(container, workspace, path, mapping={"a": "userId"})
    unknown = tmp_path / "events.txt"
    unknown.write_text("x")
    with pytest.raises(ValidationError, match="pass --format"):
        _run(container, workspace, unknown)
    with pytest.raises(ValidationError, match="does not exist"):
        _run(container, workspace, tmp_path / "missing.ndjson")
    with pytest.raises(ValidationError, match="unknown format 'xml'"):
        _run(container, workspace, path, fmt="xml")


def test_parquet_with_typed_struct_and_json_columns(
    container: Container, workspace: Workspace, tmp_path: Path, reader: bool
) -> None:
    table = pa.table(
        {
            "kind": ["track", "track", "page"],
            "event_name": ["Webinar Attended", "Webinar Attended", None],
            "user": ["u1", None, "u3"],
            "at": pa.array(
                [datetime(2024, 6, 1, 12, 0, tzinfo=UTC)] * 3, pa.timestamp("us", tz="UTC")
            ),
            "props": [{"minutes": 42, "topic": "security"}, None, {"minutes": 1, "topic": "x"}],
            "ctx": ['{"locale": "en"}', None, "{}"],
            "amount": pa.array([Decimal("12.50"), None, Decimal("3")], pa.decimal128(10, 2)),
        }
    )
    path = tmp_path / "events.parquet"
    pq.write_table(table, path, row_group_size=2)
    mapping = {
        "kind": "type",
        "event_name": "event",
        "user": "userId",
        "at": "timestamp",
        "props": "properties",
        "ctx": "context",
        "amount": "properties.amount",
    }

    report = _run(container, workspace, path, mapping=mapping, reader_process=reader)

    assert (report.read, report.stored, report.rejected) == (3, 2, 1)
    (reject,) = _quarantined(container, workspace.id)
    assert reject.line == 2 and "userId or anonymousId" in reject.reason
    first, page = _stored(container, workspace.id)
    assert as_utc(first.timestamp) == datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    body = orjson.loads(first.payload_json)
    assert body["properties"] == {"minutes": 42, "topic": "security", "amount": 12.5}
    assert body["context"] == {"locale": "en"}
    assert page.type == "page"

    again = _run(container, workspace, path, mapping=mapping, reader_process=reader)
    assert (again.stored, again.duplicates, again.rejected) == (0, 2, 1)


def test_csv_rows_get_ids_from_their_content_not_their_position(
    container: Container, workspace: Workspace, tmp_path: Path
) -> None:
    header = "type,event,anonymousId,timestamp\n"
    rows = [f"track,Viewed,a{i},2025-01-01T00:00:0{i}Z\n" for i in range(4)]
    (tmp_path / "one.csv").write_text(header + "".join(rows))
    (tmp_path / "two.csv").write_text(header + "".join(reversed(rows)) + rows[0])

    one = _run(container, workspace, tmp_path / "one.csv")
    two = _run(container, workspace, tmp_path / "two.csv")

    assert (one.stored, two.stored, two.duplicates) == (4, 0, 5)


def test_an_unknown_default_type_is_refused(
    container: Container, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text("userId,event\nu1,Viewed\n")
    with pytest.raises(ValidationError, match="--type must be one of"):
        _run(container, workspace, path, default_type="fly")
    report = _run(container, workspace, path, default_type="track")
    assert report.stored == 1


def test_a_growing_import_refreshes_the_identity_statistics_on_postgresql(
    container: Container, workspace: Workspace, tmp_path: Path
) -> None:
    """Without statistics the planner reads a chunk's contacts by scanning the whole table,
    a cost that grows with every chunk; the import analyzes as it doubles."""
    if container.engine.dialect.name != "postgresql":
        pytest.skip("statistics are PostgreSQL's (SQLite's planner needs none here)")
    path = _ndjson(tmp_path / "many.ndjson", (_track(i) for i in range(10_050)))

    report = _run(container, workspace, path, chunk_size=5_000, reader_process=False)

    assert report.stored == 10_050
    with container.engine.connect() as conn:
        analyzed = conn.exec_driver_sql(
            "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() "
            "AND last_analyze IS NOT NULL ORDER BY relname"
        ).scalars()
        assert list(analyzed) == ["accounts", "contacts", "identities"]
