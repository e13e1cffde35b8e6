"""Read and convert an event file (NDJSON, CSV or Parquet) in a second process, so the importing
one only writes.

An import spends about as long reading, parsing and validating lines as it does resolving
identities and writing rows (bench/RESULTS.md), and both are Python, so one process uses one
core. Here a child process runs the same :meth:`Job.chunks` loop with the same converter and
ships each chunk through a pipe while the parent writes the one before: two cores, the same
chunks in the same order, so the store ends up exactly as with one process (tested on both
stores). A chunk crosses as the fields of one :class:`~leadloop.store.event_rows.EventBlock`
(the plain events as ready rows but for their identities, resolved per distinct pair of
ids), pickled without a memo, so that the writer, the slower of the two, does the least.

The parent stays the only writer, so every guarantee of the in-process import holds: one
transaction per chunk, rejects with their line, a rerun stores nothing. If the child dies,
the parent stops after the chunks it received: rerun to continue.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import leadloop
from leadloop.errors import LeadloopError, ValidationError
from leadloop.services.gc_tuning import fewer_collections
from leadloop.services.imports.event_records import EventConverter, record_convert
from leadloop.services.imports.runner import Chunk, Job
from leadloop.store.event_rows import EventBlock, event_block

FORMATS = ("ndjson", "csv", "parquet")
"""What the child reads: every format the importer reads."""

MIN_BYTES = 16 << 20
"""Files smaller than this are read in process: starting the child (a new interpreter that
imports Leadloop) costs about a second, which only pays off on a few hundred thousand lines."""


@dataclass(frozen=True, slots=True)
class EventFile:
    """What the child needs to read the file exactly as the parent would have."""

    path: str
    fmt: str
    chunk_size: int
    max_message_bytes: int
    received_at: datetime
    default_type: str | None
    plain_lane: bool
    workspace_id: int
    source_id: int
    sqlite: bool
    """Which store the rows are for (PostgreSQL's datetimes are made by the writer)."""
    mapping: dict[str, str] | None = None
    """CSV and Parquet: ``{column: field}``, as given to the import."""


def wanted(path: Path, fmt: str, setting: bool | None) -> bool:
    """Whether to read ``path`` in a child process: ``setting`` when given, else files of
    at least :data:`MIN_BYTES` (NDJSON, CSV or Parquet)."""
    if fmt not in FORMATS:
        return False
    if setting is not None:
        return setting
    try:
        return path.stat().st_size >= MIN_BYTES
    except OSError:
        return False


def chunks(spec: EventFile) -> Iterator[Chunk[EventBlock]]:
    """The file's chunks, converted in a child process, in file order: each as one
    :class:`~leadloop.store.event_rows.EventBlock` (none where every line was rejected).

    Raises:
        ValidationError: the file broke off (the chunk before it comes first), as in process.
        LeadloopError: the child stopped without finishing; what came before is intact.
    """
    # A plain interpreter, not multiprocessing: its spawn re-runs the caller's main script,
    # and fork would copy this process's threads and locks.
    package_root = str(Path(leadloop.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [package_root, *filter(None, [os.environ.get("PYTHONPATH")])])}  # fmt: skip
    child = subprocess.Popen(
        [sys.executable, "-c", "from leadloop.services.imports.reader_process import main; main()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None
    last_line = 0
    try:
        child.stdin.write(pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL))
        child.stdin.close()
        frames = child.stdout
        while True:
            message = _receive(frames)
            if message is None:
                code = child.wait(10)
                raise LeadloopError(
                    f"the import's reader process stopped (exit code {code}) after line "
                    f"{last_line}; everything before it is stored. Rerun the same command to "
                    "continue: stored records are skipped",
                    line=last_line,
                )
            kind = message[0]
            if kind == "chunk":
                rows, pair_of, pairs, pair_at, messages, first = message[1]
                block = EventBlock(rows, pair_of, pairs, pair_at, messages, first,
                                   spec.received_at)  # fmt: skip
                rejects, first_line, position, read, broken = message[2:]
                last_line = read
                yield Chunk([block] if len(block) else [], rejects, first_line, position, read,
                            broken)  # fmt: skip
            elif kind == "invalid":
                raise ValidationError(message[1], line=message[2])
            elif kind == "failed":
                raise LeadloopError(f"the import's reader process failed: {message[1]}")
            else:
                return
    finally:
        child.stdout.close()
        if child.poll() is None:
            child.terminate()
        child.wait(10)


_LENGTH = struct.Struct("<Q")


def _receive(stream: IO[bytes]) -> Any:
    """The next frame (a pickled tuple), or ``None`` at the end of the stream."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    body = stream.read(size)
    if len(body) < size:
        return None
    return pickle.loads(body)


def main() -> None:
    """The child: read the spec from stdin, convert the file chunk by chunk, ship each chunk
    as a length-prefixed pickle on stdout (anything printed goes to stderr instead)."""
    out = sys.stdout.buffer
    sys.stdout = sys.stderr
    spec: EventFile = pickle.loads(sys.stdin.buffer.read())

    def ship(*message: Any) -> None:
        buffer = io.BytesIO()
        buffer.write(_LENGTH.pack(0))
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.fast = True  # no memo: nothing shared or cyclic here, and 2.5x faster
        pickler.dump(message)
        body = buffer.getbuffer()
        body[: _LENGTH.size] = _LENGTH.pack(len(body) - _LENGTH.size)
        out.write(body)
        out.flush()
        del body

    try:
        job = Job.open(
            "events",
            Path(spec.path),
            spec.fmt,
            max_record_bytes=spec.max_message_bytes,
            chunk_size=spec.chunk_size,
        )
        try:
            converter = EventConverter(
                spec.received_at, spec.default_type, plain_lane=spec.plain_lane
            )
            convert = record_convert(job, converter, spec.mapping, spec.default_type)
            with fewer_collections():
                for chunk in job.chunks(convert, spec.chunk_size):
                    block = event_block(
                        chunk.items, spec.workspace_id, spec.source_id, spec.received_at,
                        sqlite=spec.sqlite,
                    )  # fmt: skip
                    fields = (block.rows, block.pair_of, block.pairs, block.pair_at,
                              block.messages, block.first)  # fmt: skip
                    ship("chunk", fields, chunk.rejects, chunk.first_line, chunk.position,
                         chunk.read, chunk.broken)  # fmt: skip
        finally:
            job.reader.close()
        ship("done")
    except ValidationError as exc:
        ship("invalid", exc.message, exc.detail.get("line"))
    except BrokenPipeError:
        pass  # the parent stopped listening (it failed or was interrupted)
    except BaseException as exc:  # reported to the parent, which raises it
        ship("failed", f"{exc.__class__.__name__}: {exc}")
