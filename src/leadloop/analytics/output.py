"""Reports as files: CSV, JSON (a list of records) and Parquet."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Final

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from leadloop.analytics.reports import Report
from leadloop.errors import ValidationError

FORMATS: Final = ("table", "csv", "json", "parquet")


def report_csv(report: Report) -> str:
    """The report as CSV text, header first; undefined values are empty cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(report.columns)
    writer.writerows([["" if v is None else v for v in row] for row in report.rows])
    return buffer.getvalue()


def report_json(report: Report) -> bytes:
    """The report as a JSON list of records (undefined values are null)."""
    return orjson.dumps(report.records(), option=orjson.OPT_INDENT_2)


def write_report(report: Report, fmt: str, out: Path | None) -> bytes | None:
    """Write the report in ``fmt`` to ``out``; without ``out``, return CSV/JSON bytes."""
    if fmt == "parquet":
        if out is None:
            raise ValidationError("--format parquet needs --out FILE (Parquet is binary)")
        columns = {c: [r[i] for r in report.rows] for i, c in enumerate(report.columns)}
        pq.write_table(pa.table(columns), out)
        return None
    if fmt not in ("csv", "json"):
        raise ValidationError(f"report format {fmt!r}; allowed: {', '.join(FORMATS)}")
    data = report_csv(report).encode() if fmt == "csv" else report_json(report)
    if out is None:
        return data
    out.write_bytes(data)
    return None
