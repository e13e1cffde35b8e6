"""The commands a new user runs first: db upgrade, workspace/key creation and the demo."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from leadloop.bootstrap import bootstrap
from leadloop.cli.demo import DEMO_ADMIN_KEY, DEMO_WRITE_KEY
from leadloop.cli.main import app
from leadloop.config import Settings
from leadloop.store.content import read_content_items
from leadloop.store.tables import contacts, events, quarantine

runner = CliRunner()


def _count(url: str, table, *where) -> int:  # type: ignore[no-untyped-def]
    c = bootstrap(Settings(database_url=url))
    try:
        with c.engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
            )
    finally:
        c.close()


def test_upgrade_then_workspace_create_prints_working_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'll.db'}"
    result = runner.invoke(app, ["db", "upgrade", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "schema at revision" in result.output
    result = runner.invoke(app, ["workspace", "create", "acme", "--database-url", url])
    assert result.exit_code == 0, result.output
    write = re.search(r"write key: (\S+)", result.output)
    admin = re.search(r"admin key: (\S+)", result.output)
    assert write and admin
    c = bootstrap(Settings(database_url=url))
    try:
        assert c.workspaces.authenticate(write.group(1)).scope == "write"  # type: ignore[union-attr]
        assert c.workspaces.authenticate(admin.group(1)).scope == "admin"  # type: ignore[union-attr]
        assert c.workspaces.authenticate("ll_w_not_a_key") is None
    finally:
        c.close()
    again = runner.invoke(app, ["workspace", "create", "acme", "--database-url", url])
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_key_create_for_missing_workspace_says_how_to_fix(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'll.db'}"
    runner.invoke(app, ["db", "upgrade", "--database-url", url])
    result = runner.invoke(app, ["key", "create", "-w", "nope", "--database-url", url])
    assert result.exit_code == 1
    assert "leadloop workspace create nope" in " ".join(result.output.split())


def test_demo_loads_the_world_and_a_rerun_adds_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    args = ["demo", "--no-serve", "--out", str(tmp_path / "world"), "--database-url", url]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "What Leadloop now knows" in first.output
    stored = _count(url, events)
    known = _count(url, contacts, contacts.c.status == "known", contacts.c.merged_into_id.is_(None))
    rejected = _count(url, quarantine)
    assert stored > 50_000
    assert known >= 1_000
    assert rejected > 0
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert _count(url, events) == stored
    assert _count(url, quarantine) == rejected
    c = bootstrap(Settings(database_url=url))
    try:
        assert c.workspaces.authenticate(DEMO_WRITE_KEY).scope == "write"  # type: ignore[union-attr]
        assert c.workspaces.authenticate(DEMO_ADMIN_KEY).scope == "admin"  # type: ignore[union-attr]
        catalog = read_content_items(c.engine, c.workspaces.workspace_id("demo"))
        assert len(catalog) == 246  # the simulator's catalog, with its tags
        assert {i.format for i in catalog.values() if i.is_hot} == {"price list", "coverage map"}
    finally:
        c.close()


def test_demo_refuses_outside_development(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LEADLOOP_ENVIRONMENT", "production")
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    result = runner.invoke(
        app, ["demo", "--no-serve", "--out", str(tmp_path / "w"), "--database-url", url]
    )
    assert result.exit_code == 1
    assert "LEADLOOP_ENVIRONMENT=development" in " ".join(result.output.split())
