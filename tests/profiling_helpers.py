"""Helpers for profiling tests: a tagged catalog in the store and Segment messages written
through the real ingest store."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine, update

from leadloop.bootstrap import Container
from leadloop.domain.content import ContentItem
from leadloop.domain.messages import BatchEnvelope, parse_message
from leadloop.store.content import ContentRow, upsert_content
from leadloop.store.ingest import WriteResult, WriteUnit
from leadloop.store.tables import content

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

CATALOG = (
    ContentItem("vb-1", "https://x.example/vb", "The SD-WAN video book", "video book",
                "awareness", ("sd-wan",), ("Function Head",)),
    ContentItem("map-1", "https://x.example/map", "Network coverage map", "coverage map",
                "purchase", ("coverage",), ("Network Engineer",), signal=1.0),
    ContentItem("art-1", "https://x.example/a1", "Why branches go dark", "article",
                "epiphany", ("business continuity", "sd-wan"), ("CFO",)),
    ContentItem("cmp-1", "https://x.example/cmp", "SD-WAN providers compared",
                "comparison guide", "consideration", ("sd-wan",), ("Network Engineer",),
                ("mid-market",)),
)  # fmt: skip


def tag_content(engine: Engine, workspace_id: int, items: Sequence[ContentItem] = CATALOG) -> None:
    """Catalogue and tag assets the way the catalog loader will (rows + tag columns)."""
    upsert_content(engine, workspace_id, [ContentRow(i.url, i.title, i.asset_id) for i in items])
    with engine.begin() as conn:
        for i in items:
            conn.execute(
                update(content)
                .where(content.c.workspace_id == workspace_id, content.c.url == i.url)
                .values(
                    format=i.format,
                    buying_stage=i.buying_stage,
                    topics_json=orjson.dumps(list(i.topics)).decode(),
                    personas_json=orjson.dumps(list(i.personas)).decode(),
                    segments_json=orjson.dumps(list(i.segments)).decode(),
                    signal=i.signal,
                )
            )


_ids = itertools.count()


@dataclass
class Site:
    """One workspace source; writes messages through the real ingest store."""

    container: Container
    workspace_id: int
    source_id: int

    @classmethod
    def create(cls, container: Container, slug: str = "acme") -> Site:
        ws = container.workspaces.create_workspace(f"{slug}-{next(_ids)}")
        site = cls(container, ws, container.workspaces.source_id(ws, "website"))
        tag_content(container.engine, ws)
        return site

    def write(self, *raws: dict[str, Any]) -> WriteResult:
        envelope = BatchEnvelope(datetime.now(UTC))
        messages = [parse_message(raw, envelope) for raw in raws]
        unit = WriteUnit(self.workspace_id, self.source_id, messages)
        return self.container.ingest_store.write([unit])[0]


def msg(kind: str, at: datetime, who: dict[str, str], **fields: Any) -> dict[str, Any]:
    return {
        "type": kind, "messageId": f"m-{next(_ids)}", "timestamp": at.isoformat(), **who,
        **fields,
    }  # fmt: skip


def page(at: datetime, who: dict[str, str], asset: str) -> dict[str, Any]:
    return msg("page", at, who, properties={"asset_id": asset})


def track(at: datetime, who: dict[str, str], event: str, **props: Any) -> dict[str, Any]:
    return msg("track", at, who, event=event, properties=props)


def video_book_reader(who: dict[str, str], start: datetime = T0) -> list[dict[str, Any]]:
    """The brief's warm reader: several sections of a video book over two visits."""
    second = start + timedelta(days=2)
    return [
        page(start, who, "vb-1"),
        track(start, who, "Content Engaged", asset_id="vb-1", read_depth=30,
              active_seconds=200, sections_reached=["1", "2"], sections_total=7),
        page(second, who, "vb-1"),
        track(second, who, "Content Engaged", asset_id="vb-1", read_depth=35,
              active_seconds=150, sections_reached=["3", "4"], sections_total=7),
    ]  # fmt: skip


def coverage_map_downloader(who: dict[str, str], start: datetime = T0) -> list[dict[str, Any]]:
    """The brief's hot prospect: checks the coverage map and downloads it."""
    return [
        page(start, who, "map-1"),
        track(start + timedelta(minutes=2), who, "Asset Downloaded", asset_id="map-1",
              url="https://cdn.x.example/map.pdf"),
    ]  # fmt: skip
