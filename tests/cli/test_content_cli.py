"""`leadloop content validate|load|list` through Typer's CliRunner, on both stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from leadloop.bootstrap import Container
from leadloop.cli.main import app
from leadloop.store.content import read_content_items
from leadloop.store.taxonomy import read_taxonomy

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "catalog.yaml"
runner = CliRunner()
BAD = """\
content:
  - asset_id: a-1
    url: https://x.example/a
    title: A
    format: article
    buying_stage: considerate
  - asset_id: a-1
    title: B
    format: article
    buying_stage: awareness
    signal: scorching
"""


def _content(store: Any, *args: str) -> Any:
    return runner.invoke(app, ["content", *args, "--database-url", store.url])


def test_validate_accepts_the_example_and_lists_every_problem_of_a_bad_file(
    tmp_path: Path,
) -> None:
    ok = runner.invoke(app, ["content", "validate", str(EXAMPLE)])
    assert ok.exit_code == 0, ok.output
    assert ok.output.strip() == (
        f"{EXAMPLE}: 10 item(s) valid; taxonomy declares 4 topics, 8 personas, 3 segments"
    )
    bad = tmp_path / "catalog.yaml"
    bad.write_text(BAD, encoding="utf-8")
    result = runner.invoke(app, ["content", "validate", str(bad)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert [line.split(": ", 2)[:2] for line in lines[:-1]] == [
        [f"{bad}:6", "buying_stage"], [f"{bad}:7", "url"], [f"{bad}:7", "asset_id"],
        [f"{bad}:11", "signal"],
    ]  # fmt: skip
    assert lines[-1] == "4 problem(s); nothing was loaded. Fix them and run it again."
    missing = runner.invoke(app, ["content", "validate", str(tmp_path / "nope.csv")])
    # Rich wraps at the terminal width, and the temporary path's length varies.
    assert missing.exit_code == 1 and "no such file" in " ".join(missing.output.split())


def test_load_is_idempotent_and_prune_and_dry_run_do_what_they_say(
    store: Any, container: Container, workspace: Any, tmp_path: Path
) -> None:
    first = _content(store, "load", str(EXAMPLE), "-w", "acme")
    assert first.exit_code == 0, first.output
    assert "│    10 │      10 │       0 │         0 │       0 │            15 │" in first.output
    again = _content(store, "load", str(EXAMPLE), "-w", "acme")
    assert "│    10 │       0 │       0 │        10 │       0 │             0 │" in again.output

    fewer = tmp_path / "fewer.yaml"
    text = EXAMPLE.read_text(encoding="utf-8")
    fewer.write_text(text[: text.index("  - asset_id: referral-programme")], encoding="utf-8")
    kept = _content(store, "load", str(fewer), "-w", "acme")
    assert "1 stored item(s) are not in the file" in kept.output and "--prune" in kept.output
    dry = _content(store, "load", str(fewer), "-w", "acme", "--prune", "--dry-run")
    assert "would change" in dry.output and "dry run: nothing was written." in dry.output
    assert len(read_content_items(container.engine, workspace.id)) == 10
    pruned = _content(store, "load", str(fewer), "-w", "acme", "--prune")
    assert pruned.exit_code == 0, pruned.output
    assert "referral-programme" not in read_content_items(container.engine, workspace.id)
    assert read_taxonomy(container.engine, workspace.id).declared("personas")


def test_load_refuses_an_invalid_file_and_writes_nothing(
    store: Any, container: Container, workspace: Any, tmp_path: Path
) -> None:
    bad = tmp_path / "catalog.yaml"
    bad.write_text(BAD, encoding="utf-8")
    result = _content(store, "load", str(bad), "-w", "acme")
    assert result.exit_code == 1
    assert f"{bad}:6: buying_stage: unknown buying stage 'considerate'" in result.output
    assert read_content_items(container.engine, workspace.id) == {}
    unknown = _content(store, "load", str(EXAMPLE), "-w", "nobody")
    assert unknown.exit_code == 1


def test_list_filters_by_stage_topic_persona_and_format(store: Any, workspace: Any) -> None:
    assert _content(store, "load", str(EXAMPLE), "-w", "acme").exit_code == 0
    every = _content(store, "list", "-w", "acme")
    assert every.exit_code == 0 and "10 item(s)" in every.output
    hot = _content(store, "list", "-w", "acme", "--stage", "consideration", "--persona",
                   "network engineer", "--topic", "Business Continuity")  # fmt: skip
    assert "1 item(s)" in hot.output and "map-coverage" in hot.output and "hot" in hot.output
    book = _content(store, "list", "-w", "acme", "--format", "video book")
    assert "vb-secure-hybrid-work" in book.output and "1 item(s)" in book.output
    wrong = _content(store, "list", "-w", "acme", "--stage", "later")
    assert wrong.exit_code == 1 and "unknown buying stage 'later'" in wrong.output
