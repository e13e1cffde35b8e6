"""What the engines read: the store's tables as Arrow, or a Parquet export of them.

DuckDB and Spark never reach into the operational store themselves (DuckDB's sqlite and
postgres scanners download at run time, which Leadloop never does): the rows are streamed
through SQLAlchemy into Arrow batches, or read from ``leadloop export parquet`` files.
PostgreSQL reads its own tables in place. Every table keeps its ``workspace_id`` (joined
in for tables that have none) so one filter works on every engine.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from sqlalchemy import Engine, Select, select

from leadloop.errors import ValidationError
from leadloop.store.tables import (
    accounts,
    contacts,
    cost_entries,
    events,
    identities,
    lead_transitions,
    opportunities,
    opportunity_contacts,
)

TS = pa.timestamp("us", tz="UTC")
SCHEMAS: Final[dict[str, pa.Schema]] = {
    "opportunities": pa.schema([
        ("workspace_id", pa.int64()), ("id", pa.int64()), ("crm_id", pa.string()),
        ("account_id", pa.int64()), ("name", pa.string()), ("amount", pa.float64()),
        ("currency", pa.string()), ("status", pa.string()), ("type", pa.string()),
        ("created_at", TS), ("close_date", pa.date32()), ("owner", pa.string()),
    ]),
    "opportunity_contacts": pa.schema([
        ("workspace_id", pa.int64()), ("opportunity_id", pa.int64()),
        ("contact_id", pa.int64()), ("is_primary", pa.bool_()),
    ]),
    "cost_entries": pa.schema([
        ("workspace_id", pa.int64()), ("month", pa.date32()), ("kind", pa.string()),
        ("program", pa.string()), ("campaign", pa.string()), ("channel", pa.string()),
        ("component", pa.string()), ("amount", pa.float64()), ("currency", pa.string()),
    ]),
    "lead_transitions": pa.schema([
        ("workspace_id", pa.int64()), ("contact_id", pa.int64()), ("from_state", pa.string()),
        ("to_state", pa.string()), ("at", TS), ("actor_kind", pa.string()),
    ]),
    "contacts": pa.schema([
        ("workspace_id", pa.int64()), ("id", pa.int64()), ("account_id", pa.int64()),
        ("merged_into_id", pa.int64()), ("persona", pa.string()),
    ]),
    "accounts": pa.schema([
        ("workspace_id", pa.int64()), ("id", pa.int64()), ("domain", pa.string()),
        ("segment", pa.string()), ("sector", pa.string()), ("region", pa.string()),
    ]),
    "touches": pa.schema([
        ("workspace_id", pa.int64()), ("contact_id", pa.int64()), ("at", TS),
        ("kind", pa.string()), ("program", pa.string()), ("medium", pa.string()),
        ("content", pa.string()),
    ]),
}  # fmt: skip
"""Every table an engine sees, with the same columns and types on every engine."""


def _select(name: str) -> Select[tuple[object, ...]]:
    o, oc, ce, lt, ct = opportunities.c, opportunity_contacts.c, cost_entries.c, \
        lead_transitions.c, contacts.c  # fmt: skip
    if name == "opportunities":
        return select(
            o.workspace_id, o.id, o.crm_id, o.account_id, o.name, o.amount, o.currency,
            o.status, o.type, o.created_at, o.close_date, o.owner,
        )  # fmt: skip
    if name == "opportunity_contacts":
        return select(o.workspace_id, oc.opportunity_id, oc.contact_id, oc.is_primary).join_from(
            opportunity_contacts, opportunities, oc.opportunity_id == o.id
        )
    if name == "cost_entries":
        return select(ce.workspace_id, ce.month, ce.kind, ce.program, ce.campaign, ce.channel,
                      ce.component, ce.amount, ce.currency)  # fmt: skip
    if name == "lead_transitions":
        return select(
            lt.workspace_id, lt.contact_id, lt.from_state, lt.to_state, lt.at, lt.actor_kind
        )
    return select(ct.workspace_id, ct.id, ct.account_id, ct.merged_into_id, ct.persona)


def _traits(text: str | None) -> dict[str, object]:
    try:
        value = orjson.loads(text) if text else {}
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _account_rows(engine: Engine, workspace_id: int) -> Iterator[tuple[object, ...]]:
    a = accounts.c
    query = select(a.workspace_id, a.id, a.domain, a.traits_json).where(
        a.workspace_id == workspace_id
    )
    with engine.connect() as conn:
        for ws, row_id, domain, traits_json in conn.execute(query):
            t = _traits(traits_json)
            sector = t.get("sector") or t.get("industry")
            yield (ws, row_id, domain, _str(t.get("segment")), _str(sector), _str(t.get("region")))


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _touch(ws: int, contact: int, at: object, kind: str, payload: str) -> tuple[object, ...]:
    message = _traits(payload)
    context = message.get("context")
    campaign = context.get("campaign") if isinstance(context, dict) else None
    campaign = campaign if isinstance(campaign, dict) else {}
    props = message.get("properties")
    asset = props.get("asset_id") if isinstance(props, dict) else None
    return (ws, contact, at, kind, _str(campaign.get("name")), _str(campaign.get("medium")),
            _str(asset))  # fmt: skip


def _touch_rows(engine: Engine, workspace_id: int) -> Iterator[tuple[object, ...]]:
    """Events of identified people with what they touched, decoded from the payload once."""
    e, i = events.c, identities.c
    query = (
        select(e.workspace_id, i.contact_id, e.timestamp, e.type, e.event, e.payload_json)
        .join_from(events, identities, e.identity_id == i.id)
        .where(e.workspace_id == workspace_id, e.type.in_(("page", "track")))
    )
    with engine.connect().execution_options(yield_per=10_000) as conn:
        for ws, contact, at, typ, name, payload in conn.execute(query):
            yield _touch(ws, contact, at, name or typ, payload)


def store_rows(engine: Engine, name: str, workspace_id: int) -> Iterator[tuple[object, ...]]:
    """The rows of table ``name`` of one workspace, in :data:`SCHEMAS` column order."""
    if name == "accounts":
        yield from _account_rows(engine, workspace_id)
        return
    if name == "touches":
        yield from _touch_rows(engine, workspace_id)
        return
    query = _select(name)
    query = query.where(query.selected_columns.workspace_id == workspace_id)
    with engine.connect().execution_options(yield_per=10_000) as conn:
        yield from (tuple(r) for r in conn.execute(query))


def store_arrow(engine: Engine, name: str, workspace_id: int, batch: int = 50_000) -> pa.Table:
    """Table ``name`` of a workspace as Arrow, built batch by batch (bounded memory)."""
    schema = SCHEMAS[name]
    batches, rows = [], []
    for row in store_rows(engine, name, workspace_id):
        rows.append(row)
        if len(rows) >= batch:
            batches.append(_batch(schema, rows))
            rows = []
    batches.append(_batch(schema, rows))
    return pa.Table.from_batches(batches, schema)


def _batch(schema: pa.Schema, rows: list[tuple[object, ...]]) -> pa.RecordBatch:
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    return pa.RecordBatch.from_arrays(
        [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
        schema=schema,
    )


PARTITION_BY: Final = {
    "opportunities": "created_at", "lead_transitions": "at", "cost_entries": "month",
    "touches": "at",
}  # fmt: skip
"""The date each exported fact table is partitioned by (hive style: ``date=2025-03-01``)."""


def parquet_arrow(root: Path, name: str) -> pa.Table:
    """Table ``name`` of a ``leadloop export parquet`` folder, with :data:`SCHEMAS` types."""
    path = root / name
    if not path.exists():
        raise ValidationError(
            f"no {name} in the Parquet export {root}; run `leadloop export parquet {root}`"
        )
    partitioning = "hive" if name in PARTITION_BY else None
    data = ds.dataset(path, format="parquet", partitioning=partitioning)
    return data.to_table(columns=SCHEMAS[name].names).cast(SCHEMAS[name])


def write_parquet(engine: Engine, workspace_id: int, out: Path) -> dict[str, int]:
    """Export every analytics table of a workspace under ``out``; rows written per table."""
    written = {}
    for name in SCHEMAS:
        table = store_arrow(engine, name, workspace_id)
        path = out / name
        if path.exists():
            shutil.rmtree(path)
        options: dict[str, object] = {}
        column = PARTITION_BY.get(name)
        written[name] = table.num_rows
        if table.num_rows == 0:  # an empty table is one empty file, so readers find it
            path.mkdir(parents=True)
            pq.write_table(table, path / "part-0.parquet")
            continue
        if column is not None:
            day = pc.cast(pc.cast(table[column], pa.date32()), pa.string())
            table = table.append_column("date", day)
            options["partitioning"] = ds.partitioning(
                pa.schema([("date", pa.string())]), flavor="hive"
            )
        ds.write_dataset(table, path, format="parquet", **options)
    return written
