"""`leadloop profiles update|rebuild` and `leadloop profile show|list` on both stores."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from leadloop.bootstrap import Container
from leadloop.cli.main import app
from profiling_helpers import T0, Site, coverage_map_downloader, msg, video_book_reader

runner = CliRunner()
AS_OF = T0.replace(day=8).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Room for whole sentences in table cells, whatever terminal runs the tests.

    Through COLUMNS, which the shared console reads at each print: setting its ``width``
    would pin the restored width for every later test in the process.
    """
    monkeypatch.setenv("COLUMNS", "400")


def _world(container: Container) -> tuple[Site, str]:
    site = Site.create(container, "cli")
    for user, email, journey in (
        ("u1", "ada@bank.example", video_book_reader),
        ("u2", "bob@bank.example", coverage_map_downloader),
    ):
        who = {"userId": user}
        site.write(msg("identify", T0, who, traits={"email": email, "name": user}), *journey(who))
    slug = container.workspaces.list_workspaces()[-1][1]
    return site, slug


def run(*args: str) -> str:
    result = runner.invoke(app, list(args), terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def test_update_show_list_and_rebuild(container: Container, store) -> None:  # type: ignore[no-untyped-def]
    _site, slug = _world(container)
    common = ("-w", slug, "--database-url", store.url)
    out = run("profiles", "update", *common)
    assert "cursor at event" in out and "profiled 8 events (6 about content)" in out
    assert "profiled 0 events" in run("profiles", "update", *common)
    shown = run("profile", "show", "ADA@bank.example", "--as-of", AS_OF, *common)
    assert "Warm: decayed weight" in shown
    assert "Read 4 of 7 sections of the video book" in shown
    hot = run("profile", "list", "--engagement", "hot", "--as-of", AS_OF, *common)
    assert "1 matching profiles" in hot and "bob@bank.example" in hot
    assert "ada@bank.example" not in hot
    overview = run("profile", "overview", "--as-of", AS_OF, *common)
    assert "Hottest accounts" in overview and "bank.example" in overview
    assert "awareness" in overview and "purchase" in overview
    out = run("profiles", "rebuild", *common)
    assert "rebuilt 2 states from 8 events" in out and "on duckdb" in out


def test_show_names_an_unknown_email_and_exits_1(container: Container, store) -> None:  # type: ignore[no-untyped-def]
    _site, slug = _world(container)
    result = runner.invoke(
        app, ["profile", "show", "nobody@x.example", "-w", slug, "--database-url", store.url]
    )
    assert result.exit_code == 1
    assert "no contact with that e-mail" in result.output
    bad = runner.invoke(
        app, ["profiles", "rebuild", "--engine", "oracle", "--database-url", store.url]
    )
    assert bad.exit_code == 2 and "allowed: duckdb, spark" in bad.output
