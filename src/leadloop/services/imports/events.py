"""`import_events`: Segment-format events from NDJSON, CSV or Parquet into the event store.

Every record is converted by :mod:`.event_records` (the tracking API's rules, with a
file's differences: content-derived message ids, no clock-skew correction) and written
through the same durable write path as live tracking
(:meth:`~leadloop.store.ingest.SqlIngestStore.write`): identity resolution, dedup on
messageId, quarantine for rejects, one transaction per chunk. Large files (NDJSON, CSV and
Parquet alike) are converted in a second process while this one writes
(:mod:`.reader_process`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from leadloop.domain.messages import Message
from leadloop.domain.plain_messages import PlainEvent
from leadloop.services.imports.event_records import EventConverter, record_convert
from leadloop.services.imports.reader_process import EventFile
from leadloop.services.imports.reader_process import chunks as read_in_child
from leadloop.services.imports.reader_process import wanted as reader_process_wanted
from leadloop.services.imports.runner import ImportReport, Job, ProgressCallback
from leadloop.store.directory import SqlDirectory
from leadloop.store.event_rows import EventBlock
from leadloop.store.ingest import Rejected, SqlIngestStore, WriteUnit

CHUNK_SIZE = 50_000
"""Lines per transaction by default. Against 10,000 on the 1M-line bench world, with the
reader process: SQLite +18-34% (each commit is a WAL fsync plus a checkpoint), PostgreSQL
+13%; the importer's peak RSS 443-626 MiB on SQLite (its page cache and mapped pages
included) and ~290 MiB on PostgreSQL; 670 MiB over 20M events (bench/RESULTS.md, session
15). Beside a live server on SQLite the CLI takes :data:`SERVED_CHUNK_SIZE` instead."""

SERVED_CHUNK_SIZE = 10_000
"""The CLI's default instead, into a SQLite store a Leadloop server is using
(``store.serving``): its tracking writes wait for the import's transactions, about a fifth as
long as at :data:`CHUNK_SIZE`, for 18-34% of the import's speed (bench/RESULTS.md)."""

ANALYZE_FIRST = 10_000
"""Stored events after which an import first refreshes the identity tables' statistics
(PostgreSQL), then again each time it has doubled: about 11 times for 20M events."""


def import_events(
    ingest: SqlIngestStore,
    directory: SqlDirectory,
    *,
    workspace_id: int,
    source_id: int,
    path: Path | str,
    fmt: str | None = None,
    mapping: Mapping[str, str] | None = None,
    default_type: str | None = None,
    chunk_size: int = CHUNK_SIZE,
    max_message_bytes: int = 32 * 1024,
    progress: ProgressCallback | None = None,
    received_at: datetime | None = None,
    plain_lane: bool = True,
    reader_process: bool | None = None,
) -> ImportReport:
    """Import a file of events; rerunning it stores nothing new.

    Args:
        ingest: the durable write path; dedup is per ``(workspace_id, source_id)``.
        directory: used to keep quarantine free of rejects already recorded by a rerun.
        path: ``.ndjson``/``.jsonl``/``.json`` (one Segment message per line), ``.csv`` or
            ``.parquet``; text files may be gzip-compressed (``.gz``).
        fmt: ``ndjson``, ``csv`` or ``parquet`` when the extension does not say.
        mapping: ``{column: field}`` for CSV and Parquet (see :mod:`.mapping`).
        default_type: message type for rows without one (CSV/Parquet), e.g. ``track``.
        chunk_size: messages per transaction.
        max_message_bytes: longest accepted line or row, as for the tracking API.
        progress: called after every chunk.
        received_at: when the messages count as received (default: now).
        plain_lane: parse plain page/track/screen records by
            :func:`~leadloop.domain.plain_messages.plain_event`, straight into the shape of
            their row (the default); ``False`` runs the general parser only, which stores
            exactly the same (tests/services/test_import_fast_equality.py compares the two).

    Raises:
        ValidationError: the file, its format or the mapping is unusable (nothing is
            stored), or the file breaks off half-way (what was read before is stored).
        StoreError: a chunk could not be written; earlier chunks are stored.
    """
    path = Path(path)
    job = Job.open("events", path, fmt, max_record_bytes=max_message_bytes, chunk_size=chunk_size)
    received_at = received_at or datetime.now(UTC)
    try:
        converter = EventConverter(received_at, default_type, plain_lane=plain_lane)
        convert = record_convert(job, converter, mapping, default_type)
    except BaseException:
        job.reader.close()
        raise

    analyze_at = [ANALYZE_FIRST]

    def write(messages: list[Message | PlainEvent], rejects: list[Rejected]) -> None:
        store(messages, None, rejects)

    def write_block(blocks: list[EventBlock], rejects: list[Rejected]) -> None:
        store([], blocks[0] if blocks else None, rejects)

    def store(
        messages: list[Message | PlainEvent], block: EventBlock | None, rejects: list[Rejected]
    ) -> None:
        fresh = directory.new_rejects(workspace_id, rejects)
        unit = WriteUnit(workspace_id, source_id, messages, fresh, block=block)
        result = ingest.write([unit])[0]
        job.report.stored += result.stored
        job.report.duplicates += result.duplicates
        if job.report.stored >= analyze_at[0]:  # each time the import has doubled
            ingest.refresh_statistics()
            analyze_at[0] = 2 * job.report.stored

    if reader_process_wanted(path, job.fmt, reader_process):
        spec = EventFile(
            str(path), job.fmt, chunk_size, max_message_bytes, received_at, default_type,
            plain_lane, workspace_id, source_id, ingest.sqlite, dict(mapping) if mapping else None,
        )  # fmt: skip
        return job.run_chunks(read_in_child(spec), write_block, progress=progress)
    return job.run(convert, write, chunk_size=chunk_size, progress=progress)
