"""`import_costs`: the cost ledger from a CSV/Parquet/NDJSON file of monthly costs.

The same runner as every other import: chunks, quarantine with line and reason, and
idempotent reruns (a line is keyed by month, kind, program, campaign and component; a
rerun with the same amounts changes nothing, a corrected amount replaces the old one).
The simulator's ``costs.csv`` (month, program, channel, kind, amount) maps by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from leadloop.domain.costs import CostLine, cost_line_from_record
from leadloop.services.imports.directory import _fields_convert
from leadloop.services.imports.mapping import Mapper, Schema
from leadloop.services.imports.runner import ImportReport, Job, ProgressCallback
from leadloop.store.costs import SqlCostLedger
from leadloop.store.ingest import Rejected

COST_FIELDS = ("month", "kind", "program", "campaign", "channel", "component", "amount",
               "currency")  # fmt: skip
COST_SCHEMA = Schema(
    kind="cost",
    fields={**dict.fromkeys(COST_FIELDS, "str"), "amount": "auto"},
    aliases={
        **{f: f for f in COST_FIELDS},
        "period": "month", "date": "month", "type": "kind", "side": "kind",
        "budgetline": "program", "programme": "program", "campaignname": "campaign",
        "medium": "channel", "cost": "amount", "spend": "amount", "value": "amount",
        "currencycode": "currency",
    },
)  # fmt: skip


def import_costs(
    ledger: SqlCostLedger,
    *,
    workspace_id: int,
    path: Path,
    fmt: str | None = None,
    mapping: Mapping[str, str] | None = None,
    currency: str = "USD",
    chunk_size: int = 5_000,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Load cost lines into the ledger; bad rows go to quarantine with their reason."""
    job = Job.open("costs", Path(path), fmt, max_record_bytes=64 * 1024, chunk_size=chunk_size)
    mapper = Mapper(COST_SCHEMA, mapping)
    to_fields = _fields_convert(job, mapper, job.plan(mapper))
    source = job.report.source

    def convert(line: int, value: Any) -> CostLine:
        return cost_line_from_record(to_fields(value), currency)

    def write(items: list[CostLine], rejects: list[Rejected]) -> None:
        result = ledger.apply(workspace_id, items, source, rejected=rejects)
        job.report.stored += result.created
        job.report.updated += result.updated
        job.report.duplicates += result.unchanged

    report = job.run(convert, write, chunk_size=chunk_size, progress=progress)
    if job.reader.header is None:
        report.ignored_columns = tuple(sorted(mapper.ignored))
    return report
