"""`leadloop import events` into a SQLite store that a real `leadloop serve` is using takes
smaller transactions, so the server's writes wait less; on its own it takes the default."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import pytest
from e2e_helpers import LiveServer

if TYPE_CHECKING:
    from conftest import StoreHandle, Workspace

NOTE = "A Leadloop server is using this store: 10,000 records a transaction"


def _import(store: StoreHandle, path: Path, *extra: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "leadloop.cli.main", "import", "events", str(path),
         "--workspace", "acme", "--database-url", store.url, *extra],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return " ".join(done.stdout.split())  # Rich wraps long lines


def test_an_import_beside_a_running_server_takes_smaller_transactions(
    store: StoreHandle, workspace: Workspace, tmp_path: Path
) -> None:
    if store.kind != "sqlite":
        pytest.skip("PostgreSQL has row locks: an import does not hold up the server")
    path = tmp_path / "events.ndjson"
    path.write_bytes(b"".join(
        orjson.dumps({"type": "track", "event": "Read", "userId": f"u{i % 5}",
                      "messageId": f"m{i}", "timestamp": "2025-02-03T04:05:06Z"}) + b"\n"
        for i in range(30)
    ))  # fmt: skip
    alone = _import(store, path)
    assert NOTE not in alone
    server = LiveServer(store.url, tmp_path / "server.log").start()
    try:
        beside = _import(store, path)
        chosen = _import(store, path, "--chunk-size", "50000")
    finally:
        server.stop()
    assert NOTE in beside and NOTE not in chosen
    assert NOTE not in _import(store, path), "the marker went with the server"
