"""`leadloop simulate` as a user runs it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from leadloop.cli.main import app
from leadloop.simulate import FILES

runner = CliRunner()


def test_simulate_writes_every_file_and_prints_the_counts(tmp_path: Path) -> None:
    out = tmp_path / "world"
    args = [
        "simulate",
        "--out",
        str(out),
        "--contacts",
        "300",
        "--events",
        "5000",
        "--months",
        "2",
        "--start",
        "2025-02-01",
        "--seed",
        "5",
        "--quiet",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert "events (valid, distinct)" in result.output and "CPOD" in result.output
    first = (out / "events.ndjson").read_bytes().split(b"\n", 1)[0]
    assert b'"timestamp":"2025-02-' in first


def test_simulate_refuses_an_unknown_size(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "--out", str(tmp_path), "--size", "huge"])
    assert result.exit_code == 2
    assert "unknown size 'huge'; allowed: demo, bench" in result.output
    assert not any(tmp_path.iterdir())
