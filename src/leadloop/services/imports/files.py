"""Reading import files in constant memory: NDJSON, CSV and Parquet (text files may be gzip).

Every reader yields ``(line, values, error)`` one record at a time, where ``line`` is the
record's first line in the file (CSV and NDJSON) or its 1-based row number (Parquet), and
keeps only the current record: :meth:`raw` returns its text for the quarantine. Lines too
long to be a message are skipped without ever being held whole in memory.
"""

from __future__ import annotations

import csv
import gzip
import itertools
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

import orjson

from leadloop.errors import ValidationError

FORMATS = ("ndjson", "csv", "parquet")
_EXTENSIONS = {
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "ndjson",
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
MAX_RAW_CHARS = 64 * 1024
"""The most text of one rejected record kept in quarantine."""
_CSV_LINE_CAP = 1 << 20
_READ_ERRORS = (OSError, EOFError, zlib.error)

Record = tuple[int, Any, str | None]


def detect_format(path: Path, fmt: str | None = None) -> str:
    """The file's format: ``fmt`` when given, else from the extension (``.gz`` allowed).

    >>> detect_format(Path("events.jsonl.gz"))
    'ndjson'
    """
    if fmt is not None:
        fmt = fmt.lower().strip()
        if fmt in ("jsonl", "json"):
            fmt = "ndjson"
        if fmt not in FORMATS:
            raise ValidationError(
                f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", format=fmt
            )
        return fmt
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    found = _EXTENSIONS.get(suffixes[-1]) if suffixes else None
    if found is None:
        raise ValidationError(
            f"cannot tell the format of {path.name!r} from its extension; "
            f"pass --format {'|'.join(FORMATS)}",
            path=str(path),
        )
    if found == "parquet" and path.suffix.lower() == ".gz":
        raise ValidationError("Parquet files are compressed inside; do not gzip them")
    return found


def check_file(path: Path) -> int:
    """The size of a readable file, or a :class:`ValidationError` saying what is wrong."""
    if not path.exists():
        raise ValidationError(f"file {str(path)!r} does not exist; check the path", path=str(path))
    if not path.is_file():
        raise ValidationError(f"{str(path)!r} is not a file", path=str(path))
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise ValidationError(
            f"cannot open {str(path)!r}: {exc.strerror}", path=str(path)
        ) from None
    return path.stat().st_size


def clean_raw(text: str) -> str:
    """Text safe to keep in quarantine: no NUL characters (PostgreSQL refuses them), capped."""
    if "\x00" in text:
        text = text.replace("\x00", "\\u0000")
    if len(text) > MAX_RAW_CHARS:
        text = text[:MAX_RAW_CHARS] + f"... [{len(text) - MAX_RAW_CHARS} more characters]"
    return text


class Reader(Protocol):
    """What the importer needs from a file reader."""

    text: bool
    header: Sequence[str] | None
    total_bytes: int

    def __iter__(self) -> Iterator[Record]: ...
    def raw(self) -> str: ...
    def position(self) -> int: ...
    def close(self) -> None: ...


class _TextFile:
    """A binary stream over a plain or gzip file that knows how far into the file it is."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.total_bytes = path.stat().st_size
        self._file = path.open("rb", buffering=1 << 20)
        self.stream: IO[bytes] = self._file
        if path.suffix.lower() == ".gz":
            self.stream = gzip.GzipFile(fileobj=self._file, mode="rb")  # type: ignore[assignment]

    def position(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        self.stream.close()
        self._file.close()

    def failed(self, line: int, exc: BaseException) -> ValidationError:
        return ValidationError(
            f"cannot read {self.path.name} after line {line}: {exc}; rows before it are "
            "imported, rerun once the file is fixed",
            line=line,
        )


class NdjsonReader(_TextFile):
    """One JSON value per line; blank lines are skipped, a too-long line is refused."""

    text = False
    header: Sequence[str] | None = None

    def __init__(self, path: Path, max_line_bytes: int) -> None:
        super().__init__(path)
        self.max_line_bytes = max_line_bytes
        self._line = b""

    def raw(self) -> str:
        return clean_raw(self._line.rstrip(b"\r\n").decode("utf-8", "replace"))

    def __iter__(self) -> Iterator[Record]:
        readline = self.stream.readline
        cap = self.max_line_bytes + 3  # room for \r\n, and one byte to notice overflow
        loads = orjson.loads
        decode_error = orjson.JSONDecodeError
        n = 0
        try:
            while line := readline(cap):
                n += 1
                if n == 1 and line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:]
                self._line = line
                if len(line) > self.max_line_bytes and self._too_long(line, cap):
                    yield n, None, f"line is longer than the {self.max_line_bytes}-byte limit"
                    continue
                if line.isspace():
                    continue
                try:
                    yield n, loads(line), None
                except decode_error as exc:
                    yield n, None, f"line is not valid JSON: {exc}"
        except _READ_ERRORS as exc:
            raise self.failed(n, exc) from exc

    def _too_long(self, line: bytes, cap: int) -> bool:
        """Whether the line is over the limit; if it was cut short, skip the rest of it."""
        if len(line) == cap and not line.endswith(b"\n"):
            while piece := self.stream.readline(1 << 16):
                if piece.endswith(b"\n"):
                    break
            self._line = line[:2000]
            return True
        return len(line.rstrip(b"\r\n")) > self.max_line_bytes


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class CsvReader(_TextFile):
    """A CSV file with a header row; the delimiter (, ; tab |) is taken from the header.

    Rows with every cell empty are skipped; a row with the wrong number of cells, invalid
    UTF-8 or broken quoting is refused with its line number.
    """

    text = True

    def __init__(self, path: Path, max_row_bytes: int) -> None:
        super().__init__(path)
        self.max_row_bytes = max_row_bytes
        self._pending: list[str] = []
        self._lines = 0
        self._bytes = 0
        self._bad_utf8 = False
        self._oversize = False
        lines = self._decoded()
        try:
            first = next(lines, None)
        except _READ_ERRORS as exc:
            raise self.failed(0, exc) from exc
        if first is None or not first.strip():
            self.close()
            raise ValidationError(
                f"{path.name} is empty or starts with a blank line; a CSV file needs a header row"
            )
        self._reader = csv.reader(itertools.chain([first], lines), delimiter=_delimiter(first))
        header = [h.strip() for h in next(self._reader)]
        dupes = sorted({h for h in header if header.count(h) > 1})
        if dupes:
            self.close()
            raise ValidationError(
                f"{path.name} has duplicate column names: {', '.join(dupes)}; rename them"
            )
        self.header: Sequence[str] | None = header

    def _decoded(self) -> Iterator[str]:
        readline = self.stream.readline
        pending = self._pending
        while line := readline(_CSV_LINE_CAP):
            self._lines += 1
            self._bytes += len(line)
            if len(line) == _CSV_LINE_CAP and not line.endswith(b"\n"):
                while piece := readline(_CSV_LINE_CAP):
                    self._bytes += len(piece)
                    if piece.endswith(b"\n"):
                        break
                self._oversize = True
                line = line[:2000] + b"\n"
            try:
                text = line.decode("utf-8-sig" if self._lines == 1 else "utf-8")
            except UnicodeDecodeError:
                text = line.decode("utf-8", "replace")
                self._bad_utf8 = True
            pending.append(text)
            yield text

    def raw(self) -> str:
        return clean_raw("".join(self._pending).rstrip("\r\n"))

    def __iter__(self) -> Iterator[Record]:
        reader = self._reader
        assert self.header is not None
        width = len(self.header)
        pending = self._pending
        while True:
            pending.clear()
            self._bad_utf8 = self._oversize = False
            start, before = self._lines + 1, self._bytes
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, None, f"row is not valid CSV: {exc}"
                continue
            except _READ_ERRORS as exc:
                raise self.failed(start - 1, exc) from exc
            error = self._problem(values, width, self._bytes - before)
            if error == "":
                continue
            yield start, values if error is None else None, error

    def _problem(self, values: list[str], width: int, size: int) -> str | None:
        """Why a row is refused, ``""`` to skip it silently, ``None`` when it is fine."""
        if self._oversize:
            return f"line is longer than {_CSV_LINE_CAP} bytes"
        if not any(values):
            return ""
        if self._bad_utf8:
            return (
                "row is not valid UTF-8; convert the file first, "
                "e.g. iconv -f latin1 -t utf-8 in.csv > out.csv"
            )
        if len(values) != width:
            return f"row has {len(values)} cells; the header has {width}"
        if size > self.max_row_bytes:
            return f"row is {size} bytes; the limit is {self.max_row_bytes}"
        return None


class ParquetReader:
    """A Parquet file read batch by batch, only the columns the mapping uses."""

    text = False

    def __init__(self, path: Path, batch_size: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.path = path
        self.total_bytes = path.stat().st_size
        self.batch_size = batch_size
        self._arrow_error = pa.ArrowException
        try:
            self._file = pq.ParquetFile(path, buffer_size=1 << 20, pre_buffer=False)
        except (pa.ArrowException, OSError) as exc:
            raise ValidationError(
                f"{path.name} is not a readable Parquet file: {str(exc)[:200]}", path=str(path)
            ) from None
        self.header: Sequence[str] | None = list(self._file.schema_arrow.names)
        self.total_rows = int(self._file.metadata.num_rows)
        self._columns: list[str] | None = None
        self._row = 0
        self._values: Sequence[Any] = ()

    def select(self, columns: list[str]) -> None:
        """Read only these columns, in this order (the header becomes them)."""
        self._columns = columns
        self.header = columns

    def position(self) -> int:
        if not self.total_rows:
            return self.total_bytes
        return self.total_bytes * self._row // self.total_rows

    def raw(self) -> str:
        assert self.header is not None
        row = dict(zip(self.header, self._values, strict=False))
        return clean_raw(orjson.dumps(row, default=str).decode())

    def __iter__(self) -> Iterator[Record]:
        try:
            batches = self._file.iter_batches(
                batch_size=self.batch_size, columns=self._columns, use_threads=False
            )
            for batch in batches:
                columns = [c.to_pylist() for c in batch.columns]
                for values in zip(*columns, strict=True):
                    self._row += 1
                    self._values = values
                    yield self._row, values, None
        except self._arrow_error as exc:
            raise ValidationError(
                f"cannot read {self.path.name} after row {self._row}: {str(exc)[:200]}; rows "
                "before it are imported",
                line=self._row,
            ) from exc

    def close(self) -> None:
        self._file.close()


def open_reader(path: Path, fmt: str, *, max_record_bytes: int, batch_size: int) -> Reader:
    """A reader for the file in the given format."""
    if fmt == "ndjson":
        return NdjsonReader(path, max_record_bytes)
    if fmt == "csv":
        return CsvReader(path, max_record_bytes)
    return ParquetReader(path, batch_size)
