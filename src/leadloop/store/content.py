"""The content catalog in the store: one row per (workspace, url), upserted idempotently.

Loading the same catalog twice changes nothing; loading an edited one updates titles and
asset ids in place, so events already pointing at a url keep pointing at the same row.
Tagged :class:`ContentItem` values go through :func:`leadloop.store.catalog.sync_catalog`
(matched by asset id, then url); bare :class:`ContentRow` values keep the url-keyed upsert.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Final

import orjson
from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from leadloop.domain.content import ContentItem
from leadloop.errors import ValidationError
from leadloop.store.catalog import sync_catalog
from leadloop.store.engine import is_sqlite, utcnow, write_transaction
from leadloop.store.tables import content

BATCH: Final = 500
REQUIRED_COLUMNS: Final = ("asset_id", "url", "title")


@dataclass(frozen=True, slots=True)
class ContentRow:
    """What the store keeps about a piece of content (tags live in the catalog file)."""

    url: str
    title: str | None = None
    asset_id: str | None = None


def _batches(rows: Iterable[ContentRow]) -> Iterator[list[ContentRow]]:
    it = iter(rows)
    while batch := list(islice(it, BATCH)):
        yield batch


def _upsert_statement(engine: Engine, batch: Sequence[ContentRow], workspace_id: int) -> Any:
    now = utcnow()
    values = [
        {
            "workspace_id": workspace_id,
            "url": r.url,
            "title": r.title,
            "asset_id": r.asset_id,
            "created_at": now,
            "updated_at": now,
        }
        for r in {r.url: r for r in batch}.values()  # last one wins within a batch
    ]
    insert = sqlite.insert if is_sqlite(engine) else postgresql.insert
    stmt = insert(content).values(values)
    changed = content.c.title.is_distinct_from(stmt.excluded.title) | (
        content.c.asset_id.is_distinct_from(stmt.excluded.asset_id)
    )
    # RETURNING names exactly the rows inserted or changed: rowcount is not reliable for
    # upserts across drivers (psycopg reports -1 here).
    return stmt.on_conflict_do_update(
        index_elements=[content.c.workspace_id, content.c.url],
        set_={
            "title": stmt.excluded.title,
            "asset_id": stmt.excluded.asset_id,
            "updated_at": stmt.excluded.updated_at,
        },
        where=changed,
    ).returning(content.c.id)


def upsert_content(
    engine: Engine, workspace_id: int, rows: Iterable[ContentRow | ContentItem]
) -> int:
    """Insert new urls and update changed titles/asset ids; returns rows inserted or changed.

    ``ContentItem`` values also write their tags (format, stage, topics, personas, segments,
    signal). Idempotent: a second call with the same rows returns 0 and changes nothing.
    """
    rows = list(rows)
    items = [r for r in rows if isinstance(r, ContentItem)]
    written = 0
    if items:
        counts = sync_catalog(engine, workspace_id, items)
        written += counts.created + counts.updated
    bare = [r for r in rows if isinstance(r, ContentRow)]
    with write_transaction(engine) as conn:
        for batch in _batches(bare):
            written += len(conn.execute(_upsert_statement(engine, batch, workspace_id)).all())
    return written


def load_catalog_csv(path: Path) -> list[ContentRow]:
    """Read ``url``, ``title`` and ``asset_id`` from a catalog CSV (extra columns ignored).

    Raises:
        ValidationError: when a required column is missing or a row has no url.
    """
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise ValidationError(
                f"{path.name} lacks column(s) {', '.join(missing)}; "
                f"required: {', '.join(REQUIRED_COLUMNS)}",
                path=str(path),
            )
        rows = []
        for line, record in enumerate(reader, start=2):
            url = (record.get("url") or "").strip()
            if not url:
                raise ValidationError(f"{path.name} line {line} has no url", line=line)
            rows.append(
                ContentRow(url, record.get("title") or None, record.get("asset_id") or None)
            )
    return rows


def _tags(raw: str | None) -> tuple[str, ...]:
    return tuple(orjson.loads(raw)) if raw else ()


def read_content_items(engine: Engine, workspace_id: int) -> dict[str, ContentItem]:
    """Every tagged asset of a workspace, keyed by asset id (what events carry).

    Rows without an asset id or without a buying stage are not tagged yet and are left out.
    """
    query = select(content).where(
        content.c.workspace_id == workspace_id,
        content.c.asset_id.is_not(None),
        content.c.buying_stage.is_not(None),
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return {
        str(r.asset_id): ContentItem(
            asset_id=str(r.asset_id),
            url=r.url,
            title=r.title or "",
            format=r.format or "",
            buying_stage=r.buying_stage,
            topics=_tags(r.topics_json),
            personas=_tags(r.personas_json),
            segments=_tags(r.segments_json),
            signal=r.signal,
        )
        for r in rows
    }
