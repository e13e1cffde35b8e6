"""A small simulated world loaded into a store through the real import paths, tagged."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from leadloop.bootstrap import Container
from leadloop.domain.content import ContentItem
from leadloop.services.imports import import_accounts, import_contacts, import_events
from leadloop.simulate import SimConfig, generate
from leadloop.store.tables import profile_interests, profile_states, profiles
from profiling_helpers import tag_content


def simulate(out: Path, contacts: int = 300, events: int = 8000) -> Path:
    generate(out, SimConfig.preset("demo", seed=7, contacts=contacts, events=events))
    return out


def catalog_items(path: Path) -> list[ContentItem]:
    def split(value: str) -> tuple[str, ...]:
        return tuple(x for x in value.split(";") if x)

    with path.open(newline="", encoding="utf-8") as handle:
        return [
            ContentItem(
                r["asset_id"],
                r["url"],
                r["title"],
                r["format"],
                r["buying_stage"],
                split(r["topics"]),
                split(r["personas"]),
                signal=1.0 if r["signal"] == "hot" else None,
            )
            for r in csv.DictReader(handle)
        ]


def load_world(container: Container, world: Path, slug: str = "sim") -> int:
    ws = container.workspaces.create_workspace(slug)
    tag_content(container.engine, ws, catalog_items(world / "content.csv"))
    d = container.directory
    import_accounts(d, workspace_id=ws, path=world / "accounts.csv")
    import_contacts(d, workspace_id=ws, path=world / "contacts.csv")
    source = container.workspaces.source_id(ws, "import")
    import_events(container.ingest_store, d, workspace_id=ws, source_id=source,
                  path=world / "events.ndjson")  # fmt: skip
    return ws


def snapshot(engine: Engine, workspace_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every profiling row of a workspace, sorted (updated_at left out)."""
    out = {}
    with engine.connect() as conn:
        for table in (profile_states, profiles, profile_interests):
            cols = [c for c in table.c if c.name != "updated_at"]
            query = select(*cols).where(table.c.workspace_id == workspace_id)
            out[table.name] = sorted(tuple(r) for r in conn.execute(query))
    return out


def assert_same(a: dict[str, list[tuple[Any, ...]]], b: dict[str, list[tuple[Any, ...]]]) -> None:
    for name in a:
        assert len(a[name]) == len(b[name]), name
        for x, y in zip(a[name], b[name], strict=True):
            for u, v in zip(x, y, strict=True):
                if isinstance(u, float) or isinstance(v, float):
                    assert u is not None and v is not None and abs(u - v) <= 1e-9, (name, x, y)
                else:
                    assert u == v, (name, x, y)
