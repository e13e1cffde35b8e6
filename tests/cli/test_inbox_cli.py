"""`leadloop inbox status|drain` on both stores: what waits, then drained into events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import orjson
import pytest
from typer.testing import CliRunner

from leadloop.cli.main import app
from leadloop.store.inbox import InboxEntry

if TYPE_CHECKING:
    from conftest import StoreHandle

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")


def test_status_counts_what_waits_and_drain_stores_it_once(
    store: StoreHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEADLOOP_INGEST_INBOX", "true")
    c = store.container(ingest_inbox=True)
    try:
        ws = c.workspaces.create_workspace("acme")
        c.workspaces.create_key(ws, scope="write", source="website")
        src = c.workspaces.source_id(ws, "website")
        batch = [
            {"type": "track", "event": "Read", "anonymousId": "d", "messageId": f"m{i}"}
            for i in range(3)
        ] + [{"type": "track", "anonymousId": "d"}]
        body = orjson.dumps({"batch": batch})
        entry = InboxEntry(ws, src, "api:/v1/batch", None, datetime.now(UTC), None, 3, body)
        c.inbox.append([entry, entry])  # the second: a client's retry
    finally:
        c.close()

    shown = runner.invoke(app, ["inbox", "status", "--database-url", store.url])
    assert shown.exit_code == 0, shown.output
    assert " 6 " in shown.output and "background process" in shown.output

    drained = runner.invoke(app, ["inbox", "drain", "--database-url", store.url])
    assert drained.exit_code == 0, drained.output
    assert (
        "drained 2 requests: 3 events stored, 3 duplicates, 2 rejects kept in quarantine"
        in drained.output
    )
    again = runner.invoke(app, ["inbox", "status", "--database-url", store.url])
    assert " 0 " in again.output
