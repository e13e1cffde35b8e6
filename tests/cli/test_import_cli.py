"""`leadloop import events|contacts|accounts` through Typer's CliRunner, on both stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from leadloop.cli.main import app
from leadloop.store.tables import events

Workspace = Any
StoreHandle = Any
MAVEN_ACCOUNTS = Path(__file__).resolve().parents[3] / "shared/data/maven-crm/accounts.csv"
runner = CliRunner()


def _invoke(store: StoreHandle, *args: str) -> Any:
    return runner.invoke(app, ["import", *args, "--database-url", store.url])


def _counts(output: str) -> list[str]:
    """The cells of the report table's data row (the first table row made of numbers)."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) > 3 and all(c.replace(",", "").replace(".", "").isdigit() for c in cells):
            return cells
    raise AssertionError(f"no counts row in:\n{output}")


def _events_file(path: Path, good: int = 25) -> Path:
    lines = [
        orjson.dumps(
            {
                "type": "track",
                "event": "Video Played",
                "userId": f"u{i % 3}",
                "messageId": f"m{i}",
                "timestamp": "2025-02-03T04:05:06Z",
            }
        )
        for i in range(good)
    ]
    lines.insert(3, b"{oops")
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_events_import_prints_the_counts_and_a_rerun_reports_duplicates(
    store: StoreHandle, workspace: Workspace, container: Any, tmp_path: Path
) -> None:
    path = _events_file(tmp_path / "events.ndjson")

    first = _invoke(store, "events", str(path), "--workspace", "acme")

    assert first.exit_code == 0, first.output
    for word in ("read", "stored", "duplicates", "rejected", "rows/s"):
        assert word in first.output
    assert _counts(first.output)[:4] == ["26", "25", "0", "1"]
    assert "first rejects" in first.output and "not valid JSON" in first.output
    assert "import:events.ndjson" in first.output

    again = _invoke(store, "events", str(path), "-w", "acme", "--reader-process")

    assert again.exit_code == 0, again.output
    assert _counts(again.output)[:4] == ["26", "0", "25", "1"]
    with container.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 25


def test_csv_events_with_map_options(
    store: StoreHandle, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "web.csv"
    path.write_text("who,when,what,plan\nu1,2025-01-01T00:00:00Z,Signed Up,pro\n")

    result = _invoke(
        store,
        "events",
        str(path),
        "-w",
        "acme",
        "--map",
        "who=userId",
        "--map",
        "when=timestamp",
        "--map",
        "what=event",
        "--type",
        "track",
        "--source",
        "crm-backfill",
    )

    assert result.exit_code == 0, result.output
    assert _counts(result.output)[:4] == ["1", "1", "0", "0"]
    assert "ignored columns" in result.output and "plan" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["events", "missing.ndjson", "-w", "acme"], "does not exist"),
        (["events", "{data}", "-w", "acme", "--format", "xml"], "unknown format"),
        (["events", "{data}", "-w", "nobody"], "leadloop workspace create nobody"),
        (["events", "{data}", "-w", "acme", "--map", "oops"], "COLUMN=FIELD"),
        (["accounts", "{data}", "-w", "acme", "--key", "colour"], "--key must be one of"),
    ],
)
def test_unusable_input_exits_non_zero_and_says_what_to_do(
    store: StoreHandle,
    workspace: Workspace,
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    data = _events_file(tmp_path / "events.ndjson")
    result = _invoke(store, *(a.replace("{data}", str(data)) for a in args))

    assert result.exit_code == 1
    assert message in " ".join(result.output.split())


def test_a_store_without_the_schema_says_to_upgrade(tmp_path: Path) -> None:
    data = _events_file(tmp_path / "events.ndjson")
    url = f"sqlite:///{tmp_path / 'empty.db'}"

    result = runner.invoke(app, ["import", "events", str(data), "--database-url", url])

    assert result.exit_code == 1
    assert "leadloop db upgrade" in result.output


def test_contacts_command(store: StoreHandle, workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("email,name,phone\nana@acme.example,Ana,555\nbroken,Bo,1\n")

    result = _invoke(store, "contacts", str(path), "-w", "acme")

    assert result.exit_code == 0, result.output
    for word in ("created", "updated", "unchanged", "rejected"):
        assert word in result.output
    assert "phone" in result.output and "not stored" in result.output
    assert "not a valid e-mail" in result.output


@pytest.mark.skipif(not MAVEN_ACCOUNTS.exists(), reason=f"{MAVEN_ACCOUNTS} is not present")
def test_accounts_command_on_the_maven_file(store: StoreHandle, workspace: Workspace) -> None:
    args = ["accounts", str(MAVEN_ACCOUNTS), "-w", "acme", "--map", "sector=industry"]

    result = _invoke(store, *args, "--key", "name")

    assert result.exit_code == 0, result.output
    assert _counts(result.output)[:5] == ["85", "85", "0", "0", "0"]


def test_a_mapping_file_and_map_options_combine(
    store: StoreHandle, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "web.csv"
    path.write_text("who,when,what\nu1,2025-01-01T00:00:00Z,Signed Up\n")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("who: userId\nwhen: timestamp\nwhat: name\n")

    result = _invoke(
        store, "events", str(path), "-w", "acme", "--mapping", str(mapping),
        "--map", "what=event", "--type", "track",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert _counts(result.output)[:4] == ["1", "1", "0", "0"]
