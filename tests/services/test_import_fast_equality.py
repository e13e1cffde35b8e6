"""The import's fast paths store exactly what the paths they replaced store: same events in
every column, contacts, identities, accounts and quarantine.

* The plain-message lane against the general parser.
* The set-based identity repository (queued writes, merges without reads, accounts with
  pooled ids) against the row-by-row one it replaced (``row_identity_reference.py``).

Two fresh stores of the same kind advance in lockstep (same workspaces, same order of
writes), so even the generated ids must match (accounts: up to pooled ids, see
:func:`_canonical`).
"""

from __future__ import annotations

import csv
import itertools
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from row_identity_reference import RowIdentityRepository
from sqlalchemy import Engine, create_engine, select, text

from leadloop.bootstrap import Container, bootstrap
from leadloop.config import Settings
from leadloop.services.imports import ImportReport, import_contacts, import_events
from leadloop.services.imports.event_records import EventConverter, ndjson_convert
from leadloop.services.imports.runner import Job
from leadloop.simulate import SimConfig, generate
from leadloop.store.directory import SqlDirectory
from leadloop.store.event_rows import event_block
from leadloop.store.ingest import SqlIngestStore, WriteUnit
from leadloop.store.migrate import upgrade
from leadloop.store.tables import accounts, contacts, events, identities, quarantine

RECEIVED = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
WALL_CLOCK = {"created_at", "updated_at"}
_EXAMPLES = itertools.count()
StoreHandle = Any  # tests/conftest.py's StoreHandle (url, kind, container())


def _migrated(url: str) -> Container:
    c = bootstrap(Settings(database_url=url))
    upgrade(c.engine)
    return c


@pytest.fixture
def twins(store: StoreHandle, tmp_path: Path) -> Iterator[tuple[Container, Container]]:
    """The ``store`` fixture's store and a second, empty one of the same kind."""
    a = store.container()
    if store.kind == "sqlite":
        b = _migrated(f"sqlite:///{tmp_path / 'twin.db'}")
        try:
            yield a, b
        finally:
            a.close()
            b.close()
        return
    base = store.url.split("?", 1)[0]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    b = _migrated(f"{base}?options=-csearch_path%3D{schema}")
    try:
        yield a, b
    finally:
        a.close()
        b.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _import(
    c: Container, ws: int, path: Path, *, fast: bool, chunk: int, reader: bool = False
) -> ImportReport:
    return import_events(
        c.ingest_store,
        SqlDirectory(c.engine),
        workspace_id=ws,
        source_id=c.workspaces.source_id(ws, "import"),
        path=path,
        chunk_size=chunk,
        received_at=RECEIVED,
        plain_lane=fast,
        reader_process=reader,
    )


def _rows(engine: Engine, ws: int) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with engine.connect() as conn:
        for table in (events, contacts, identities, accounts, quarantine):
            skip = WALL_CLOCK | ({"received_at"} if table is quarantine else set())
            cols = [c for c in table.c if c.name not in skip]
            query = select(*cols).where(table.c.workspace_id == ws).order_by(table.c.id)
            out[table.name] = [tuple(r) for r in conn.execute(query)]
    return out


def _both(
    twins: tuple[Container, Container], path: Path, slug: str, chunk: int, reader: bool = False
) -> tuple[dict[str, list[tuple[Any, ...]]], list[tuple[int, ...]]]:
    """Import ``path`` (twice) by the general path into one store and fast into the other
    (``reader``: converted in the reader process)."""
    general, fast = twins
    ws = general.workspaces.create_workspace(slug)
    assert fast.workspaces.create_workspace(slug) == ws
    reports = []
    for rerun in (False, True):
        for container, lane in ((general, False), (fast, True)):
            r = _import(container, ws, path, fast=lane, chunk=chunk, reader=reader and lane)
            reports.append((rerun, r.read, r.stored, r.duplicates, r.rejected))
    assert reports[0][1:] == reports[1][1:] and reports[2][1:] == reports[3][1:]
    assert reports[2][2] == 0  # the rerun stored nothing
    rows = _rows(general.engine, ws)
    assert _rows(fast.engine, ws) == rows
    return rows, reports


@pytest.mark.parametrize("reader", [False, True], ids=["in-process", "reader-process"])
def test_a_simulated_world_imports_the_same_by_both_paths(
    twins: tuple[Container, Container], tmp_path: Path, reader: bool
) -> None:
    """The fast lane, here or in the reader process, against the general parser here."""
    world = tmp_path / "world"
    generate(world, SimConfig.preset("demo", seed=11, contacts=300, events=6000))
    rows, reports = _both(twins, world / "events.ndjson", "sim", chunk=1000, reader=reader)
    assert len(rows["events"]) > 5000 and rows["quarantine"] and rows["accounts"]
    assert any(c[2] == "known" for c in rows["contacts"])
    assert any(c[-3] is not None for c in rows["contacts"])  # merged_into_id: merges ran
    assert reports[0][3] > 0  # the simulator writes duplicates too


_COLUMNS = ("type", "event", "name", "userId", "anonymousId", "messageId", "previousId",
            "groupId", "timestamp", "properties", "traits", "context")  # fmt: skip


def _cells(ndjson: Path) -> list[list[str]]:
    """The file's objects as rows of text cells under :data:`_COLUMNS` (objects as JSON)."""
    rows = []
    for line in ndjson.read_bytes().splitlines():
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            rows.append([
                "" if (v := obj.get(c)) is None
                else v if isinstance(v, str) else orjson.dumps(v).decode()
                for c in _COLUMNS
            ])  # fmt: skip
    return rows


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_simulated_world_as_csv_or_parquet_imports_the_same_in_the_reader_process(
    twins: tuple[Container, Container], tmp_path: Path, fmt: str
) -> None:
    """Mapped rows take the reader process as NDJSON lines do, and store what the general
    parser stores here."""
    world = tmp_path / "world"
    generate(world, SimConfig.preset("demo", seed=13, contacts=200, events=3000))
    rows = _cells(world / "events.ndjson")
    path = tmp_path / f"events.{fmt}"
    if fmt == "csv":
        with path.open("w", newline="") as f:
            out = csv.writer(f)
            out.writerow(_COLUMNS)
            out.writerows(rows)
    else:
        columns = {c: [r[i] or None for r in rows] for i, c in enumerate(_COLUMNS)}
        pq.write_table(pa.table(columns), path, row_group_size=700)
    stored, reports = _both(twins, path, f"sim-{fmt}", chunk=500, reader=True)
    assert len(stored["events"]) > 2500 and stored["quarantine"]
    assert any(c[-3] is not None for c in stored["contacts"])  # merges ran
    assert reports[0][3] > 0  # duplicates were found


ANON = st.sampled_from(["a1", "a2", "a3", ""])
USER = st.sampled_from(["u1", "u2", "u3"])
STAMP = st.sampled_from(
    ["2025-03-01T10:00:00.123Z", "2025-03-01T10:00:01Z", "2025-03-01T12:00:00+02:00", "bad"]
)
MESSAGE_ID = st.sampled_from(["m1", "m2", "m3", "m4", "m5", "m6"]) | st.none()
TRAITS = st.fixed_dictionaries(
    {},
    optional={
        "email": st.sampled_from(["x@acme.example", "y@acme.example", "z@gmail.com"]),
        "name": st.sampled_from(["Ann Lee", "Bo"]),
        "phone": st.just("555"),
        "topic": st.just("security"),
        "domain": st.sampled_from(["acme.example", "beta.example", "gmail.com"]),
        "website": st.sampled_from(["https://www.beta.example/about", "gamma.example"]),
    },
)
MESSAGE = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["page", "track", "screen", "identify", "group", "alias", "x"]),
        "timestamp": STAMP,
    },
    optional={
        "messageId": MESSAGE_ID,
        "anonymousId": ANON,
        "userId": USER,
        "previousId": ANON | USER,
        "groupId": st.sampled_from(["g1", "g2"]),
        "event": st.sampled_from(["Viewed", " Downloaded ", ""]),
        "name": st.sampled_from(["Home", "Pricing"]),
        "properties": st.sampled_from([{"url": "https://acme.example/a"}, {}, []]),
        "context": st.sampled_from([{"library": {"name": "x"}}, {"traits": {"phone": "1"}}]),
        "traits": TRAITS,
        "sentAt": st.just("2025-03-01T10:00:05Z"),
    },
)
LINE = MESSAGE.map(orjson.dumps) | st.sampled_from([b"not json", b"[1, 2]", b"{}", b"   "])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=st.lists(LINE, min_size=1, max_size=40), data=st.data())
def test_any_mix_of_messages_imports_the_same_by_both_paths(
    twins: tuple[Container, Container], tmp_path: Path, lines: list[bytes], data: st.DataObject
) -> None:
    lines = lines + data.draw(st.lists(st.sampled_from(lines), max_size=5))  # replays
    path = tmp_path / f"mix-{next(_EXAMPLES)}.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    _both(twins, path, path.stem, chunk=data.draw(st.integers(1, 8)))


_IDS = {"anonymousId": st.sampled_from(["a1", "a2"]), "userId": USER}
_AT = {"timestamp": st.sampled_from(["2025-03-01T10:00:00.123Z", "2025-03-01T10:00:01Z"])}
VALID = st.fixed_dictionaries(
    {"type": st.sampled_from(["page", "track"]), **_AT}, optional=_IDS
).map(orjson.dumps) | st.fixed_dictionaries(
    {"type": st.sampled_from(["identify", "group", "alias"]), **_AT},
    optional={**_IDS, "previousId": ANON | USER, "groupId": st.sampled_from(["g1", "g2"]),
              "traits": TRAITS},
).map(orjson.dumps)  # fmt: skip
"""Lines that are mostly valid and share few ids: where the order of resolutions shows."""


def _write_chunks(c: Container, ws: int, path: Path, chunk: int, *, blocks: bool) -> list[int]:
    """Convert ``path`` here, as the reader process does, and write each chunk as its
    messages or as the block the reader process ships (``event_block``)."""
    source = c.workspaces.source_id(ws, "import")
    convert = ndjson_convert(EventConverter(RECEIVED, None, plain_lane=True))
    job = Job.open("events", path, None, max_record_bytes=32_768, chunk_size=chunk)
    stored = []
    try:
        for part in job.chunks(convert, chunk):
            if blocks:
                block = event_block(part.items, ws, source, RECEIVED, sqlite=c.ingest_store.sqlite)
                unit = WriteUnit(ws, source, [], part.rejects, block=block)
            else:
                unit = WriteUnit(ws, source, part.items, part.rejects)
            stored.append(c.ingest_store.write([unit])[0].stored)
    finally:
        job.reader.close()
    return stored


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=st.lists(VALID | LINE, min_size=1, max_size=40), data=st.data())
def test_any_mix_stores_the_same_written_as_blocks(
    twins: tuple[Container, Container], tmp_path: Path, lines: list[bytes], data: st.DataObject
) -> None:
    """The reader process's blocks (one resolution per distinct pair of ids, the other
    messages in their places) against the same chunks written message by message."""
    lines = lines + data.draw(st.lists(st.sampled_from(lines), max_size=5))  # replays
    path = tmp_path / f"block-{next(_EXAMPLES)}.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    chunk = data.draw(st.integers(1, 12))
    by_messages, by_blocks = twins
    ws = by_messages.workspaces.create_workspace(path.stem)
    assert by_blocks.workspaces.create_workspace(path.stem) == ws
    for _rerun in (False, True):
        assert _write_chunks(by_blocks, ws, path, chunk, blocks=True) == _write_chunks(
            by_messages, ws, path, chunk, blocks=False
        )
    assert _rows(by_blocks.engine, ws) == _rows(by_messages.engine, ws)


# --- The set-based identity repository against the row-by-row one -------------------------

_REFS = {  # column -> table whose id it holds
    "id": None, "account_id": "accounts", "merged_into_id": "contacts",
    "contact_id": "contacts", "identity_id": "identities",
}  # fmt: skip


def _named_rows(engine: Engine, ws: int) -> dict[str, list[dict[str, Any]]]:
    out = {}
    with engine.connect() as conn:
        for table in (events, contacts, identities, accounts, quarantine):
            skip = WALL_CLOCK | ({"received_at"} if table is quarantine else set())
            cols = [c for c in table.c if c.name not in skip]
            query = select(*cols).where(table.c.workspace_id == ws).order_by(table.c.id)
            out[table.name] = [dict(r._mapping) for r in conn.execute(query)]
    return out


def _canonical(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[tuple[Any, ...]]]:
    """Ids replaced by their rank in creation (= id) order, references likewise.

    PostgreSQL account ids come from blocks of the sequence taken per repository, so a
    second workspace's accounts start after a gap; creation order is what must match.
    """
    rank = {name: {r["id"]: i for i, r in enumerate(table)} for name, table in rows.items()}
    out = {}
    for name, table in rows.items():
        out[name] = [
            tuple(
                (rank[name if col == "id" else str(_REFS[col])].get(v, ("outside", v)))
                if col in _REFS and v is not None
                else v
                for col, v in r.items()
            )
            for r in table
        ]
    return out


def _same_as_row_path(
    twins: tuple[Container, Container],
    path: Path,
    slug: str,
    chunk: int,
    people: Path | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Import ``path`` twice through the row-by-row repository into one store and through
    the set-based one into the other (after the contacts file ``people``, if any); every
    stored row must be the same."""
    row_store, set_store = twins
    ws = row_store.workspaces.create_workspace(slug)
    assert set_store.workspaces.create_workspace(slug) == ws
    for container in twins if people is not None else ():
        import_contacts(SqlDirectory(container.engine), workspace_id=ws, path=people)
    row_ingest = SqlIngestStore(row_store.engine, repository=RowIdentityRepository)  # type: ignore[arg-type]
    reports = []
    for _rerun in (False, True):
        for container, ingest in ((row_store, row_ingest), (set_store, set_store.ingest_store)):
            r = import_events(
                ingest,
                SqlDirectory(container.engine),
                workspace_id=ws,
                source_id=container.workspaces.source_id(ws, "import"),
                path=path,
                chunk_size=chunk,
                received_at=RECEIVED,
            )
            reports.append((r.read, r.stored, r.duplicates, r.rejected))
    assert reports[0] == reports[1] and reports[2] == reports[3]
    rows = _named_rows(row_store.engine, ws)
    assert _canonical(_named_rows(set_store.engine, ws)) == _canonical(rows)
    return rows


def test_a_simulated_world_stores_the_same_as_the_row_by_row_identity_path(
    twins: tuple[Container, Container], tmp_path: Path
) -> None:
    world = tmp_path / "world"
    generate(world, SimConfig.preset("demo", seed=5, contacts=300, events=6000))
    # 2,500-message chunks: PostgreSQL takes the COPY path for events (COPY_THRESHOLD).
    rows = _same_as_row_path(twins, world / "events.ndjson", "sim-set", chunk=2500)
    contacts_ = rows["contacts"]
    assert sum(c["merged_into_id"] is not None for c in contacts_) > 3  # merges ran
    assert any(c["account_id"] is not None for c in contacts_) and len(rows["accounts"]) > 3


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=st.lists(MESSAGE.map(orjson.dumps), min_size=1, max_size=40), data=st.data())
def test_any_mix_of_messages_stores_the_same_as_the_row_by_row_identity_path(
    twins: tuple[Container, Container], tmp_path: Path, lines: list[bytes], data: st.DataObject
) -> None:
    lines = lines + data.draw(st.lists(st.sampled_from(lines), max_size=5))  # replays
    path = tmp_path / f"set-{next(_EXAMPLES)}.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    _same_as_row_path(twins, path, path.stem, chunk=data.draw(st.integers(1, 8)))


def _line(**fields: Any) -> bytes:
    return orjson.dumps({"timestamp": "2025-03-01T10:00:00Z", **fields})


@pytest.mark.parametrize("chunk", [1, 100])
def test_merges_fill_gaps_from_the_loser_as_the_row_by_row_path_did(
    twins: tuple[Container, Container], tmp_path: Path, chunk: int
) -> None:
    """Merges where the loser brings a persona, CRM id, topics or an account of its own."""
    people = tmp_path / "people.csv"
    people.write_text(
        "email,name,persona,crm_id\np@acme.example,Pat,CIO,c1\nq@beta.example,Quinn,,c2\n"
        "r@gamma.example,Rae,CFO,c3\n"
    )
    lines = [
        _line(type="identify", userId="u9", traits={"email": "p@acme.example"}),
        _line(type="page", userId="u9", name="Home"),
        _line(type="identify", userId="u9", traits={"email": "q@beta.example", "topic": "cloud"}),
        _line(type="identify", userId="u3", traits={"email": "z@acme.example", "name": "Zed"}),
        _line(type="group", anonymousId="a1", groupId="g1", traits={"name": "Gamma Ltd"}),
        _line(type="identify", anonymousId="a1", traits={"email": "z@acme.example"}),
        _line(type="group", userId="u3", groupId="g2", traits={"website": "acme.example"}),
        _line(type="alias", userId="u3", previousId="u9"),
        _line(type="track", anonymousId="a1", event="Downloaded"),
        _line(type="identify", userId="u3", traits={"email": "r@gamma.example"}),
    ]
    path = tmp_path / f"merges-{chunk}.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    rows = _same_as_row_path(twins, path, f"merges-{chunk}", chunk, people=people)
    by_email = {c["email"]: c for c in rows["contacts"] if c["email"]}
    rae = by_email["r@gamma.example"]  # keeps her persona and CRM id; gets the topic
    assert (rae["persona"], rae["crm_id"], rae["topics_json"]) == ("CFO", "c3", '["cloud"]')
    assert sum(c["merged_into_id"] is not None for c in rows["contacts"]) >= 4
