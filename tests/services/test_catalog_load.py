"""Loading catalog files into the store, on SQLite and PostgreSQL: the simulator's real
catalog, idempotent reloads, edits in place, prune, dry run, and the stored taxonomy."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from leadloop.bootstrap import Container
from leadloop.domain.content import ContentItem
from leadloop.errors import CatalogValidationError, ConflictError
from leadloop.services.catalog import load_catalog_file
from leadloop.simulate import SimConfig, generate
from leadloop.store.content import read_content_items, upsert_content
from leadloop.store.tables import content
from leadloop.store.taxonomy import read_taxonomy

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "catalog.yaml"


@pytest.fixture(scope="module")
def sim_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The simulator's real content.csv (the catalog does not depend on the world's size)."""
    out = tmp_path_factory.mktemp("sim")
    generate(out, SimConfig(seed=7, contacts=200, events=2_000, months=2, start=date(2025, 3, 1)))
    return out / "content.csv"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _ids(container: Container, ws: int) -> dict[str, int]:
    with container.engine.connect() as conn:
        rows = conn.execute(select(content.c.asset_id, content.c.id)
                            .where(content.c.workspace_id == ws)).all()  # fmt: skip
    return {r.asset_id: r.id for r in rows}


def test_the_simulated_catalog_loads_with_its_tags_and_reloads_as_no_change(
    container: Container, sim_catalog: Path
) -> None:
    ws = container.workspaces.create_workspace("acme")
    first = load_catalog_file(container.engine, ws, sim_catalog)
    assert (first.items, first.counts.created, first.changed) == (246, 246, 246)
    items = read_content_items(container.engine, ws)
    assert len(items) == 246
    source = {r["asset_id"]: r for r in _rows(sim_catalog)}
    for asset_id, item in items.items():
        row = source[asset_id]
        assert (item.url, item.title, item.format, item.buying_stage) == (
            row["url"], row["title"], row["format"], row["buying_stage"],
        )  # fmt: skip
        assert item.topics == tuple(row["topics"].split(";"))
        assert item.personas == tuple(row["personas"].split(";"))
        assert item.is_hot == (row["signal"] == "hot")
    assert {i.format for i in items.values() if i.is_hot} == {"price list", "coverage map"}

    again = load_catalog_file(container.engine, ws, sim_catalog)
    assert (again.changed, again.counts.unchanged) == (0, 246)
    assert read_content_items(container.engine, ws) == items


def test_an_edited_file_updates_rows_in_place(
    container: Container, sim_catalog: Path, tmp_path: Path
) -> None:
    ws = container.workspaces.create_workspace("acme")
    load_catalog_file(container.engine, ws, sim_catalog)
    ids = _ids(container, ws)
    rows = _rows(sim_catalog)
    rows[0]["title"] = "A better title"  # same asset, new title
    rows[1]["url"] = "https://www.northpeak.example/moved"  # the page moved
    rows[2]["asset_id"] = "ast-renamed"  # same page, new asset id
    rows[3]["url"], rows[4]["url"] = rows[4]["url"], rows[3]["url"]  # two assets swap pages
    rows[5]["buying_stage"] = "advocacy"
    report = load_catalog_file(container.engine, ws, _write(tmp_path / "c.csv", rows))
    assert (report.counts.created, report.counts.updated, report.counts.deleted) == (0, 6, 0)
    after = _ids(container, ws)
    assert after["ast-renamed"] == ids[_rows(sim_catalog)[2]["asset_id"]]
    assert len(after) == 246
    items = read_content_items(container.engine, ws)
    assert items[rows[0]["asset_id"]].title == "A better title"
    assert items[rows[1]["asset_id"]].url == "https://www.northpeak.example/moved"
    assert items[rows[3]["asset_id"]].url == _rows(sim_catalog)[4]["url"]
    assert items[rows[5]["asset_id"]].buying_stage == "advocacy"


def test_rows_absent_from_the_file_are_kept_unless_pruned(
    container: Container, sim_catalog: Path, tmp_path: Path
) -> None:
    ws = container.workspaces.create_workspace("acme")
    load_catalog_file(container.engine, ws, sim_catalog)
    shorter = _write(tmp_path / "c.csv", _rows(sim_catalog)[:-2])
    kept = load_catalog_file(container.engine, ws, shorter)
    assert (kept.changed, kept.counts.kept) == (0, 2)
    dry = load_catalog_file(container.engine, ws, shorter, prune=True, dry_run=True)
    assert (dry.counts.deleted, dry.dry_run) == (2, True)
    assert len(read_content_items(container.engine, ws)) == 246
    pruned = load_catalog_file(container.engine, ws, shorter, prune=True)
    assert (pruned.counts.deleted, pruned.changed) == (2, 2)
    assert len(read_content_items(container.engine, ws)) == 244


def test_a_dry_run_writes_nothing(container: Container, sim_catalog: Path) -> None:
    ws = container.workspaces.create_workspace("acme")
    report = load_catalog_file(container.engine, ws, sim_catalog, dry_run=True)
    assert report.counts.created == 246
    assert read_content_items(container.engine, ws) == {}


def test_a_url_held_by_an_asset_not_in_the_file_is_a_conflict(
    container: Container, sim_catalog: Path, tmp_path: Path
) -> None:
    ws = container.workspaces.create_workspace("acme")
    load_catalog_file(container.engine, ws, sim_catalog)
    rows = _rows(sim_catalog)
    taken = rows[-1]["url"]
    rows = rows[:-1]
    rows[0]["url"] = taken
    with pytest.raises(ConflictError, match="belongs to stored asset") as caught:
        load_catalog_file(container.engine, ws, _write(tmp_path / "c.csv", rows))
    assert caught.value.detail["other"] == _rows(sim_catalog)[-1]["asset_id"]
    report = load_catalog_file(container.engine, ws, tmp_path / "c.csv", prune=True)
    assert (report.counts.updated, report.counts.deleted) == (1, 1)


def test_the_stored_taxonomy_checks_later_csv_files(container: Container, tmp_path: Path) -> None:
    ws = container.workspaces.create_workspace("acme")
    report = load_catalog_file(container.engine, ws, EXAMPLE)
    assert (report.items, report.counts.terms_changed) == (10, 15)
    taxonomy = read_taxonomy(container.engine, ws)
    assert taxonomy.terms["personas"]["Turnaround Artist"].startswith("CIO brought in")
    assert not taxonomy.declared("formats")
    assert load_catalog_file(container.engine, ws, EXAMPLE).changed == 0

    path = tmp_path / "more.csv"
    path.write_text(
        "asset_id,url,title,format,buying_stage,personas\n"
        "x-1,https://x.example/1,One,article,awareness,cfo;Turnaround Artst\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogValidationError) as caught:
        load_catalog_file(container.engine, ws, path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (2, "personas")
    assert "(did you mean 'Turnaround Artist'?)" in problem.message


def test_upsert_content_writes_tags_of_content_items(container: Container) -> None:
    ws = container.workspaces.create_workspace("acme")
    item = ContentItem("wp-1", "https://x.example/wp", "WP", "white paper", "interest",
                       ("hybrid work",), ("CFO",), ("SMB",), 0.5)  # fmt: skip
    assert upsert_content(container.engine, ws, [item]) == 1
    assert upsert_content(container.engine, ws, [item]) == 0
    assert read_content_items(container.engine, ws) == {"wp-1": item}
