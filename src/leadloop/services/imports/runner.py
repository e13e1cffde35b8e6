"""The import loop shared by events, contacts and accounts: read, convert, write in chunks.

Each chunk is written in one transaction together with its rejects, so an import that stops
half-way (crash, Ctrl-C, a broken file) keeps every chunk it acknowledged, and running it
again skips what is already stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from leadloop.errors import StoreError, ValidationError
from leadloop.services.gc_tuning import fewer_collections
from leadloop.services.imports.files import Reader, check_file, detect_format, open_reader
from leadloop.services.imports.mapping import Mapper, Plan
from leadloop.store.ingest import Rejected

logger = logging.getLogger(__name__)

T = TypeVar("T")
FIRST_REJECTS = 5
"""How many rejects a report carries for display; all of them are in quarantine."""


@dataclass(slots=True)
class ImportReport:
    """What an import did. ``stored`` counts new records, ``updated`` changed ones and
    ``duplicates`` those already present (events: by messageId; contacts and accounts:
    unchanged), so ``read == stored + updated + duplicates + rejected``."""

    kind: str
    path: str
    format: str
    source: str
    read: int = 0
    stored: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    seconds: float = 0.0
    ignored_columns: tuple[str, ...] = ()
    first_rejects: list[Rejected] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """Where a running import is, reported after every chunk."""

    bytes_done: int
    bytes_total: int
    read: int
    rejected: int
    seconds: float


ProgressCallback = Callable[[ImportProgress], None]


def source_label(path: Path) -> str:
    """The quarantine ``source`` of an import file's rejects: ``import:events.ndjson``."""
    return f"import:{path.name}"[:300]


@dataclass(slots=True)
class Chunk(Generic[T]):
    """One transaction's worth of converted records and rejects, and where the file is."""

    items: list[T]
    rejects: list[Rejected]
    first_line: int
    position: int
    """Bytes of the file read so far (for progress)."""
    read: int
    """Records read so far, this chunk's included."""
    broken: bool = False
    """The file broke off after this chunk (the iterator raises next)."""


@dataclass
class Job:
    """One import run: the file, its reader and the report being filled."""

    kind: str
    path: Path
    fmt: str
    reader: Reader
    report: ImportReport

    @classmethod
    def open(
        cls, kind: str, path: Path, fmt: str | None, *, max_record_bytes: int, chunk_size: int
    ) -> Job:
        """Check the file and the chunk size, detect the format and open a reader."""
        if chunk_size < 1:
            raise ValidationError(f"chunk size must be at least 1; got {chunk_size}")
        check_file(path)
        found = detect_format(path, fmt)
        reader = open_reader(
            path, found, max_record_bytes=max_record_bytes, batch_size=min(chunk_size, 65_536)
        )
        report = ImportReport(kind, str(path), found, source_label(path))
        return cls(kind, path, found, reader, report)

    def plan(self, mapper: Mapper) -> Plan | None:
        """Resolve the mapping against the header (``None`` for NDJSON, mapped per object).

        For Parquet only the mapped columns are read from then on.
        """
        header = self.reader.header
        if header is None:
            return None
        plan = mapper.plan(header)
        self.report.ignored_columns = plan.ignored
        select = getattr(self.reader, "select", None)
        if select is not None:
            select([header[i] for i, _ in plan.entries])
            plan = mapper.plan([header[i] for i, _ in plan.entries])
        return plan

    def run(
        self,
        convert: Callable[[int, Any], T],
        write: Callable[[list[T], list[Rejected]], None],
        *,
        chunk_size: int,
        progress: ProgressCallback | None,
    ) -> ImportReport:
        """Convert every record and write them in chunks; return the filled report."""
        return self.run_chunks(self.chunks(convert, chunk_size), write, progress=progress)

    def run_chunks(
        self,
        chunks: Iterator[Chunk[T]],
        write: Callable[[list[T], list[Rejected]], None],
        *,
        progress: ProgressCallback | None,
    ) -> ImportReport:
        """Write chunks converted here (:meth:`chunks`) or in a reader process; fill and
        return the report."""
        report = self.report
        started = time.perf_counter()
        try:
            with fewer_collections():
                for chunk in chunks:
                    report.read = chunk.read
                    report.rejected += len(chunk.rejects)
                    room = FIRST_REJECTS - len(report.first_rejects)
                    if room > 0:
                        report.first_rejects.extend(chunk.rejects[:room])
                    self._write(write, chunk.items, chunk.rejects, chunk.first_line)
                    if not chunk.broken:
                        self._tick(progress, started, chunk.position)
        finally:
            self.reader.close()
            report.seconds = time.perf_counter() - started
        logger.info(
            "import.finished",
            extra={
                "fields": {
                    "kind": self.kind,
                    "file": self.path.name,
                    "read": report.read,
                    "stored": report.stored,
                    "updated": report.updated,
                    "duplicates": report.duplicates,
                    "rejected": report.rejected,
                    "seconds": round(report.seconds, 3),
                }
            },
        )
        return report

    def chunks(self, convert: Callable[[int, Any], T], chunk_size: int) -> Iterator[Chunk[T]]:
        """Read and convert the file a chunk at a time.

        Raises:
            ValidationError: the file broke off; the chunk read before it comes first.
        """
        items: list[T] = []
        rejects: list[Rejected] = []
        first_line = 1
        read = 0
        source, raw, position = self.report.source, self.reader.raw, self.reader.position
        try:
            for line, value, error in self.reader:
                read += 1
                if error is None:
                    try:
                        items.append(convert(line, value))
                    except ValidationError as exc:
                        error = exc.message
                if error is not None:
                    rejects.append(Rejected(source, error, raw(), line))
                if len(items) + len(rejects) >= chunk_size:
                    yield Chunk(items, rejects, first_line, position(), read)
                    items, rejects, first_line = [], [], line + 1
        except ValidationError:  # the file broke off: keep what was read before it
            yield Chunk(items, rejects, first_line, position(), read, broken=True)
            raise
        yield Chunk(items, rejects, first_line, position(), read)

    def _write(
        self,
        write: Callable[[list[T], list[Rejected]], None],
        items: list[T],
        rejects: list[Rejected],
        first_line: int,
    ) -> None:
        if not items and not rejects:
            return
        try:
            write(items, rejects)
        except StoreError as exc:
            where = "row" if self.fmt == "parquet" else "line"
            raise StoreError(
                f"{exc.message} (the chunk from {where} {first_line}); everything before it is "
                "stored. Rerun the same command to continue: stored records are skipped",
                line=first_line,
            ) from exc

    def _tick(self, progress: ProgressCallback | None, started: float, position: int) -> None:
        if progress is not None:
            report = self.report
            progress(
                ImportProgress(
                    bytes_done=position,
                    bytes_total=self.reader.total_bytes,
                    read=report.read,
                    rejected=report.rejected,
                    seconds=time.perf_counter() - started,
                )
            )
