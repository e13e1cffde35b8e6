"""`leadloop user`, `leadloop rules` and `leadloop lead` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadloop.cli.main import app
from lifecycle_helpers import RULES_V1, RULES_V2, add_contact, put_in_state

runner = CliRunner(env={"COLUMNS": "250"})
MIA, SAM = "mia@seller.example", "sam@seller.example"


class Cli:
    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, *args: str, code: int = 0) -> str:
        result = runner.invoke(app, [*args, "--database-url", self.url, "-w", "seller"])
        assert result.exit_code == code, result.output
        return " ".join(result.output.split())  # Rich wraps lines at the terminal width


@pytest.fixture
def cli(store) -> Cli:  # type: ignore[no-untyped-def]
    c = store.container()
    try:
        c.workspaces.create_workspace("seller")
    finally:
        c.close()
    run = Cli(store.url)
    run("user", "add", MIA, "--role", "marketing", "--name", "Mia")
    run("user", "add", SAM, "--role", "sales")
    return run


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def facts_line(contact: int, day: int, **kw: object) -> str:
    body: dict[str, object] = {
        "contact_id": contact,
        "as_of": f"2026-03-{day:02d}T09:00:00+00:00",
        "buying_stage": "consideration",
        "engagement_level": "hot",
        "persona": "IT Manager",
    }
    body.update(kw)
    return json.dumps(body)


def test_upload_approve_list_show(cli: Cli, tmp_path: Path) -> None:
    v1 = write(tmp_path, "v1.yaml", RULES_V1)
    assert "rule version 1 uploaded as a draft" in cli("rules", "upload", v1, "--as", MIA)
    assert "already stored with this exact text" in cli("rules", "upload", v1, "--as", MIA)
    assert "version 1 is a draft (signed: marketing (mia@seller.example))" in cli(
        "rules", "approve", "1", "--as", MIA
    )
    assert "already approved" in cli("rules", "approve", "1", "--as", MIA)
    assert "version 1 is now active" in cli("rules", "approve", "1", "--as", SAM)
    listing = cli("rules", "list")
    assert "active" in listing and "marketing: mia@seller.example" in listing
    shown = cli("rules", "show")
    assert "Northpeak sales-ready lead version 1: active" in shown
    assert "approved for sales by sam@seller.example" in shown
    assert "buying_stage: {at_least: consideration}" in shown


def test_invalid_files_and_unknown_users_exit_1_with_the_reason(cli: Cli, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", RULES_V1.replace("consideration", "considerate"))
    out = cli("rules", "upload", bad, "--as", MIA, code=1)
    assert "bad.yaml:5: qualify_when.all[0].buying_stage.at_least: unknown stage" in out
    v1 = write(tmp_path, "v1.yaml", RULES_V1)
    assert "leadloop user add bob@x.example" in cli(
        "rules", "upload", v1, "--as", "bob@x.example", code=1
    )
    refused = cli("user", "add", "x@y.example", "--role", "boss", code=1)
    assert "unknown role 'boss'; allowed: marketing, sales, admin" in refused


def test_rules_test_shows_who_would_qualify_and_the_difference(cli: Cli, tmp_path: Path) -> None:
    cli("rules", "upload", write(tmp_path, "v1.yaml", RULES_V1), "--as", MIA)
    cli("rules", "approve", "1", "--as", MIA)
    cli("rules", "approve", "1", "--as", SAM)
    facts = write(tmp_path, "facts.ndjson", "\n".join([
        facts_line(1, 2, buying_stage="interest"), facts_line(1, 9),
        facts_line(2, 3, buying_stage="interest"),
        facts_line(3, 4, segment="competitor"),
    ]))  # fmt: skip
    out = cli("rules", "test", write(tmp_path, "v2.yaml", RULES_V2), "--facts", facts)
    assert "Draft version 2 vs version 1: 3 leads, 4 fact snapshots replayed" in out
    assert "newly qualifying" in out and "no longer qualifying" in out and "both" in out
    assert "Segment is competitor, one of competitor." not in out  # kept-out reasons are v1's
    assert (
        "2 would qualify under the draft, 2 under version 1 (+0): 1 newly, 1 no longer, 1 both"
        in out
    )
    listing = cli("rules", "list")
    assert "│ 1 " in listing and "│ 2 " not in listing  # testing stores nothing


def test_sales_actions_show_and_list(cli: Cli, store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    c = store.container()
    try:
        ws = c.workspaces.workspace_id("seller")
        lead = add_contact(c.engine, ws)
        put_in_state(c, ws, lead, "sales_ready")
    finally:
        c.close()
    assert f"lead {lead} is now accepted (cycle 1)" in cli("lead", "accept", str(lead), "--as", SAM)
    assert f"lead {lead} is already accepted; nothing changed" in cli(
        "lead", "accept", str(lead), "--as", SAM
    )
    out = cli("lead", "reject", str(lead), "--as", SAM, "--reason", "no budget", code=1)
    assert f"lead {lead} cannot go from accepted to rejected; allowed: opportunity, recycled" in out
    cli("lead", "convert", str(lead), "--as", SAM)
    assert "is now recycled (cycle 2)" in cli(
        "lead", "lost", str(lead), "--as", SAM, "--reason", "price"
    )
    shown = cli("lead", "show", str(lead))
    assert f"lead {lead}: recycled" in shown and "user sam@seller.example" in shown
    assert "recycled into nurture after lost" in shown
    assert str(lead) in cli("lead", "list", "--state", "recycled")
    funnel = cli("lead", "funnel", "--period", "quarter")
    assert "Conversion" in funnel and "Time in stage" in funnel and "2026-Q1" in funnel


def test_qualify_from_a_facts_file_moves_and_explains(cli: Cli, store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("rules", "upload", write(tmp_path, "v1.yaml", RULES_V1), "--as", MIA)
    cli("rules", "approve", "1", "--as", MIA)
    cli("rules", "approve", "1", "--as", SAM)
    c = store.container()
    try:
        ws = c.workspaces.workspace_id("seller")
        ready, cold = add_contact(c.engine, ws), add_contact(c.engine, ws)
    finally:
        c.close()
    facts = write(tmp_path, "f.ndjson", "\n".join([
        facts_line(ready, 5), facts_line(cold, 5, engagement_level="cold"),
    ]))  # fmt: skip
    out = cli("lead", "qualify", "--facts", facts)
    assert "2 leads evaluated, 1 moved to sales_ready" in out
    assert f"lead {ready}: Buying stage is consideration, at or past consideration." in out
    shown = cli("lead", "show", str(ready))
    assert "qualified in cycle 1 under rule version 1" in shown and "rule v1" in shown
