"""Writing a validated catalog into ``content``: sync a whole file, or edit one item.

A stored item is found by its asset id (what events carry) and, failing that, by its url,
so a file that renames an asset or moves it to a new page updates the row in place instead
of adding a second one. Loading the same items twice changes nothing. Rows the file does
not list are kept unless ``prune`` is asked for. Everything happens in one transaction;
``dry_run`` rolls it back after counting.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Row, delete, select, update
from sqlalchemy.exc import IntegrityError

from leadloop.domain.content import ContentItem
from leadloop.domain.taxonomy import Taxonomy
from leadloop.errors import ConflictError, NotFoundError
from leadloop.store.engine import utcnow, write_transaction
from leadloop.store.tables import content
from leadloop.store.taxonomy import write_taxonomy

logger = logging.getLogger(__name__)
TAG_COLUMNS = ("asset_id", "url", "title", "format", "buying_stage", "topics_json",
               "personas_json", "segments_json", "signal")  # fmt: skip


@dataclass(frozen=True, slots=True)
class SyncCounts:
    """What a catalog sync did (or, in a dry run, would do)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    kept: int = 0
    """Stored rows the file does not list, left in place (``prune`` removes them)."""
    terms_changed: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted + self.terms_changed


@dataclass(frozen=True, slots=True)
class StoredContent:
    """A catalog item as stored, with its row times."""

    item: ContentItem
    created_at: datetime
    updated_at: datetime


def _json(terms: Sequence[str]) -> str:
    return orjson.dumps(list(terms)).decode()


def item_columns(item: ContentItem) -> dict[str, Any]:
    """The ``content`` columns an item fills."""
    return {
        "asset_id": item.asset_id, "url": item.url, "title": item.title,
        "format": item.format, "buying_stage": item.buying_stage,
        "topics_json": _json(item.topics), "personas_json": _json(item.personas),
        "segments_json": _json(item.segments), "signal": item.signal,
    }  # fmt: skip


def _tags(raw: str | None) -> tuple[str, ...]:
    return tuple(orjson.loads(raw)) if raw else ()


def row_item(row: Row[Any]) -> ContentItem:
    return ContentItem(
        asset_id=str(row.asset_id or ""), url=row.url, title=row.title or "",
        format=row.format or "", buying_stage=row.buying_stage or "",
        topics=_tags(row.topics_json), personas=_tags(row.personas_json),
        segments=_tags(row.segments_json), signal=row.signal,
    )  # fmt: skip


@dataclass
class _Plan:
    inserts: list[ContentItem]
    updates: list[tuple[Row[Any], ContentItem]]
    unchanged: int
    absent: list[Row[Any]]


def _match(rows: Sequence[Row[Any]], items: Sequence[ContentItem]) -> _Plan:
    """Pair each item with its stored row: by asset id, else by url of an asset not listed."""
    by_asset = {r.asset_id: r for r in rows if r.asset_id is not None}
    by_url = {r.url: r for r in rows}
    listed = {i.asset_id for i in items}
    plan = _Plan([], [], 0, [])
    matched: set[int] = set()
    for item in items:
        row = by_asset.get(item.asset_id)
        if row is None:
            candidate = by_url.get(item.url)
            if candidate is not None and candidate.asset_id not in listed:
                row = candidate
        if row is None:
            plan.inserts.append(item)
            continue
        matched.add(row.id)
        if {c: getattr(row, c) for c in TAG_COLUMNS} == item_columns(item):
            plan.unchanged += 1
        else:
            plan.updates.append((row, item))
    plan.absent = [r for r in rows if r.id not in matched]
    return plan


def _check_urls(plan: _Plan, prune: bool) -> None:
    if prune:
        return
    kept = {r.url: r for r in plan.absent}
    targets = plan.inserts + [item for _, item in plan.updates]
    for item in targets:
        other = kept.get(item.url)
        if other is not None:
            raise ConflictError(
                f"asset {item.asset_id!r} uses url {item.url} which belongs to stored asset "
                f"{other.asset_id!r}, not in this file; give one of them another url, or "
                "load with --prune to remove the assets the file no longer lists",
                asset_id=item.asset_id, url=item.url, other=other.asset_id,
            )  # fmt: skip


def _apply(conn: Connection, workspace_id: int, plan: _Plan, prune: bool) -> None:
    now = utcnow()
    if prune and plan.absent:
        conn.execute(delete(content).where(content.c.id.in_([r.id for r in plan.absent])))
    moving = [row for row, item in plan.updates if row.url != item.url]
    for row in moving:  # free every url first, so two assets can swap pages
        conn.execute(update(content).where(content.c.id == row.id)
                     .values(url=f"urn:leadloop:moving:{row.id}"))  # fmt: skip
    for row, item in plan.updates:
        conn.execute(
            update(content).where(content.c.id == row.id)
            .values(**item_columns(item), updated_at=now)
        )  # fmt: skip
    if plan.inserts:
        conn.execute(
            content.insert(),
            [{**item_columns(i), "workspace_id": workspace_id, "created_at": now,
              "updated_at": now} for i in plan.inserts],
        )  # fmt: skip


def sync_catalog(
    engine: Engine,
    workspace_id: int,
    items: Sequence[ContentItem],
    taxonomy: Taxonomy | None = None,
    *,
    prune: bool = False,
    dry_run: bool = False,
) -> SyncCounts:
    """Make the stored catalog match ``items`` (and ``taxonomy``'s declared kinds).

    Raises:
        ConflictError: an item's url belongs to a stored asset the file does not list.
    """
    with engine.connect() as conn, conn.begin() as tx:
        rows = conn.execute(select(content).where(content.c.workspace_id == workspace_id)).all()
        plan = _match(rows, items)
        _check_urls(plan, prune)
        _apply(conn, workspace_id, plan, prune)
        terms = write_taxonomy(conn, workspace_id, taxonomy, prune=prune) if taxonomy else 0
        if dry_run:
            tx.rollback()
    counts = SyncCounts(
        created=len(plan.inserts), updated=len(plan.updates), unchanged=plan.unchanged,
        deleted=len(plan.absent) if prune else 0, kept=0 if prune else len(plan.absent),
        terms_changed=terms,
    )  # fmt: skip
    logger.info("catalog.synced", extra={"fields": {"workspace_id": workspace_id,
                "dry_run": dry_run, "changed": counts.changed, "items": len(items)}})  # fmt: skip
    return counts


def _one(conn: Connection, workspace_id: int, asset_id: str) -> Row[Any]:
    row = conn.execute(
        select(content).where(content.c.workspace_id == workspace_id,
                              content.c.asset_id == asset_id)
    ).first()  # fmt: skip
    if row is None or row.buying_stage is None:
        raise NotFoundError(f"no catalog item with asset_id {asset_id!r}", asset_id=asset_id)
    return row


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite reads naive UTC


def _stored(row: Row[Any]) -> StoredContent:
    return StoredContent(row_item(row), _aware(row.created_at), _aware(row.updated_at))


def get_item(engine: Engine, workspace_id: int, asset_id: str) -> StoredContent:
    """One tagged item by asset id; raises NotFoundError."""
    with engine.connect() as conn:
        return _stored(_one(conn, workspace_id, asset_id))


def list_items(
    engine: Engine, workspace_id: int, *, stage: str | None = None, fmt: str | None = None
) -> list[StoredContent]:
    """Tagged items ordered by asset id, optionally of one stage or format."""
    query = select(content).where(
        content.c.workspace_id == workspace_id, content.c.asset_id.is_not(None),
        content.c.buying_stage.is_not(None),
    )  # fmt: skip
    if stage is not None:
        query = query.where(content.c.buying_stage == stage)
    if fmt is not None:
        query = query.where(content.c.format == fmt)
    with engine.connect() as conn:
        return [_stored(r) for r in conn.execute(query.order_by(content.c.asset_id))]


def _url_owner(conn: Connection, workspace_id: int, url: str) -> str | None:
    row = conn.execute(
        select(content.c.asset_id).where(content.c.workspace_id == workspace_id,
                                         content.c.url == url)
    ).first()  # fmt: skip
    return None if row is None else str(row.asset_id)


def _conflict(item: ContentItem, what: str, owner: str | None) -> ConflictError:
    value = item.asset_id if what == "asset_id" else item.url
    return ConflictError(
        f"{what} {value!r} is already used by catalog item {owner!r}; choose another "
        f"{what}, or PUT /v1/content/{owner} to change that item",
        field=what, asset_id=item.asset_id, other=owner,
    )  # fmt: skip


def insert_item(engine: Engine, workspace_id: int, item: ContentItem) -> StoredContent:
    """Add one item; raises ConflictError when its asset id or url is taken."""
    now = utcnow()
    try:
        with write_transaction(engine) as conn:
            if conn.execute(select(content.c.id).where(content.c.workspace_id == workspace_id,
                            content.c.asset_id == item.asset_id)).first():  # fmt: skip
                raise _conflict(item, "asset_id", item.asset_id)
            owner = _url_owner(conn, workspace_id, item.url)
            if owner is not None:
                raise _conflict(item, "url", owner)
            conn.execute(content.insert().values(**item_columns(item),
                         workspace_id=workspace_id, created_at=now, updated_at=now))  # fmt: skip
    except IntegrityError:
        raise _conflict(item, "asset_id", item.asset_id) from None
    return StoredContent(item, now, now)


def replace_item(engine: Engine, workspace_id: int, item: ContentItem) -> StoredContent:
    """Replace the item with ``item.asset_id``; NotFoundError / ConflictError (url taken)."""
    now = utcnow()
    try:
        with write_transaction(engine) as conn:
            row = _one(conn, workspace_id, item.asset_id)
            owner = _url_owner(conn, workspace_id, item.url)
            if owner is not None and owner != item.asset_id:
                raise _conflict(item, "url", owner)
            conn.execute(update(content).where(content.c.id == row.id)
                         .values(**item_columns(item), updated_at=now))  # fmt: skip
    except IntegrityError:
        raise _conflict(item, "url", None) from None
    return StoredContent(item, _aware(row.created_at), now)


def delete_item(engine: Engine, workspace_id: int, asset_id: str) -> None:
    """Remove one item; raises NotFoundError."""
    with write_transaction(engine) as conn:
        row = _one(conn, workspace_id, asset_id)
        conn.execute(delete(content).where(content.c.id == row.id))
