"""The import loop shared by events, contacts and accounts: read, convert, write in chunks.

Each chunk is written in one transaction together with its rejects, so an import that stops
half-way (crash, Ctrl-C, a broken file) keeps every chunk it acknowledged, and running it
again skips what is already stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

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
        report = self.report
        started = time.perf_counter()
        try:
            with fewer_collections():
                self._loop(convert, write, chunk_size, progress, started)
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

    def _loop(
        self,
        convert: Callable[[int, Any], T],
        write: Callable[[list[T], list[Rejected]], None],
        chunk_size: int,
        progress: ProgressCallback | None,
        started: float,
    ) -> None:
        report = self.report
        items: list[T] = []
        rejects: list[Rejected] = []
        first_line = 1
        try:
            for line, value, error in self.reader:
                report.read += 1
                if error is None:
                    try:
                        items.append(convert(line, value))
                    except ValidationError as exc:
                        error = exc.message
                if error is not None:
                    self._reject(rejects, line, error)
                if len(items) + len(rejects) >= chunk_size:
                    self._write(write, items, rejects, first_line)
                    items, rejects, first_line = [], [], line + 1
                    self._tick(progress, started)
        except ValidationError:  # the file broke off: keep what was read before it
            self._write(write, items, rejects, first_line)
            raise
        self._write(write, items, rejects, first_line)
        self._tick(progress, started)

    def _reject(self, rejects: list[Rejected], line: int, reason: str) -> None:
        rejected = Rejected(self.report.source, reason, self.reader.raw(), line)
        rejects.append(rejected)
        self.report.rejected += 1
        if len(self.report.first_rejects) < FIRST_REJECTS:
            self.report.first_rejects.append(rejected)

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

    def _tick(self, progress: ProgressCallback | None, started: float) -> None:
        if progress is not None:
            report = self.report
            progress(
                ImportProgress(
                    bytes_done=self.reader.position(),
                    bytes_total=self.reader.total_bytes,
                    read=report.read,
                    rejected=report.rejected,
                    seconds=time.perf_counter() - started,
                )
            )
