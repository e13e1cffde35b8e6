"""Loading the simulated catalog into the store: idempotent, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sim_helpers import World
from sqlalchemy import select

from leadloop.bootstrap import Container
from leadloop.errors import ValidationError
from leadloop.store.content import ContentRow, load_catalog_csv, upsert_content
from leadloop.store.tables import content


def _stored(container: Container, workspace_id: int) -> dict[str, tuple[str | None, str | None]]:
    with container.engine.connect() as conn:
        rows = conn.execute(
            select(content.c.url, content.c.asset_id, content.c.title).where(
                content.c.workspace_id == workspace_id
            )
        ).all()
    return {r.url: (r.asset_id, r.title) for r in rows}


def test_upsert_is_idempotent_and_updates_in_place(container: Container, world: World) -> None:
    ws = container.workspaces.create_workspace("acme")
    rows = load_catalog_csv(world.path / "content.csv")
    assert upsert_content(container.engine, ws, rows) == len(rows) == world.summary.assets
    assert upsert_content(container.engine, ws, rows) == 0
    stored = _stored(container, ws)
    assert stored == {r.url: (r.asset_id, r.title) for r in rows}

    renamed = ContentRow(rows[0].url, "A better title", rows[0].asset_id)
    assert upsert_content(container.engine, ws, [renamed, *rows[1:]]) == 1
    assert _stored(container, ws)[rows[0].url] == (rows[0].asset_id, "A better title")
    assert len(_stored(container, ws)) == len(rows)


def test_workspaces_keep_their_own_catalog(container: Container) -> None:
    a = container.workspaces.create_workspace("a")
    b = container.workspaces.create_workspace("b")
    row = ContentRow("https://x.example/p", "P", "ast-1")
    assert upsert_content(container.engine, a, [row]) == 1
    assert upsert_content(container.engine, b, [row]) == 1
    assert len(_stored(container, a)) == len(_stored(container, b)) == 1


def test_catalog_csv_needs_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "content.csv"
    path.write_text("asset_id,title\nast-1,Hello\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="lacks column"):
        load_catalog_csv(path)
    path.write_text("asset_id,url,title\nast-1,,Hello\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="line 2 has no url"):
        load_catalog_csv(path)
