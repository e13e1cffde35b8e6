"""The ingest inbox (``LEADLOOP_INGEST_INBOX``): a request is durable before 200, and the
drain turns it into exactly the events, contacts and quarantine the direct path stores.

(Every test of test_tracking_api.py also runs through the inbox; these cover what only the
inbox has: the drain across restarts, back-pressure on its backlog, poison batches.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from api_helpers import Api, assert_error, in_process_api
from sqlalchemy import Engine, select

from leadloop.bootstrap import Container
from leadloop.store.inbox import InboxEntry, SqliteInbox
from leadloop.store.tables import accounts, contacts, events, identities, quarantine

if TYPE_CHECKING:
    from conftest import StoreHandle, Workspace


def idle_inbox(store: StoreHandle, tmp_path: Path, **overrides: Any) -> Container:
    """A container whose inbox nothing drains on its own: a background process is named
    (a socket nobody listens on), as `serve` runs it, so the test drains by hand."""
    return store.container(
        ingest_inbox=True,
        profile_worker="process",
        background_socket=str(tmp_path / "nobody.sock"),
        **overrides,
    )


@pytest.fixture
def idle(store: StoreHandle, tmp_path: Path) -> Iterator[Container]:
    c = idle_inbox(store, tmp_path)
    try:
        yield c
    finally:
        c.close()


def track(n: int, prefix: str = "m") -> list[dict[str, Any]]:
    return [
        {"type": "track", "event": "Read", "anonymousId": "dev-1", "messageId": f"{prefix}{i}"}
        for i in range(n)
    ]


def stored_ids(engine: Engine, workspace_id: int) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(events.c.message_id).where(events.c.workspace_id == workspace_id)
            ).scalars()
        )


def entry(workspace: Workspace, container: Container, body: dict[str, Any]) -> InboxEntry:
    source = container.workspaces.source_id(workspace.id, "website")
    return InboxEntry(
        workspace.id, source, "api:/v1/batch", None, datetime.now(UTC), None,
        len(body["batch"]), orjson.dumps(body),
    )  # fmt: skip


def test_an_answered_request_waits_in_the_inbox_until_the_drain_stores_it(
    idle: Container, workspace: Workspace
) -> None:
    with in_process_api(idle, workspace.write_key, workspace.id) as api:
        response = api.send("/v1/batch", {"batch": track(5)})
    assert response.status_code == 200, response.text
    assert response.json()["queued"] is True and response.json()["accepted"] == 5
    assert idle.inbox.backlog() == 5
    assert stored_ids(idle.engine, workspace.id) == []

    result = idle.drainer.drain()
    assert (result.batches, result.stored, result.duplicates) == (1, 5, 0)
    assert sorted(stored_ids(idle.engine, workspace.id)) == [f"m{i}" for i in range(5)]
    assert idle.inbox.backlog() == 0
    assert idle.drainer.drain().batches == 0  # nothing is stored twice


def test_the_inbox_survives_a_restart_and_the_next_drain_stores_it_once(
    store: StoreHandle, workspace: Workspace, tmp_path: Path
) -> None:
    first = idle_inbox(store, tmp_path)
    with in_process_api(first, workspace.write_key, workspace.id) as api:
        for n in range(3):
            assert api.send("/v1/batch", {"batch": track(4, f"r{n}-")}).status_code == 200
    first.close()  # nothing drained: the process is gone

    second = idle_inbox(store, tmp_path)
    try:
        assert second.inbox.backlog() == 12
        assert second.drainer.drain().stored == 12
        third = idle_inbox(store, tmp_path)
        try:  # another process finds nothing left
            assert third.drainer.drain().batches == 0
        finally:
            third.close()
        ids = stored_ids(second.engine, workspace.id)
        assert len(ids) == len(set(ids)) == 12
    finally:
        second.close()


def test_a_full_inbox_answers_429_with_retry_after_and_loses_nothing(
    store: StoreHandle, workspace: Workspace, tmp_path: Path
) -> None:
    c = idle_inbox(store, tmp_path, inbox_max_messages=10)
    try:
        with in_process_api(c, workspace.write_key, workspace.id) as api:
            assert api.send("/v1/batch", {"batch": track(10, "a")}).status_code == 200
            assert c.inbox_full(max_age_s=0)
            refused = api.send("/v1/batch", {"batch": track(3, "b")})
            assert_error(refused, 429, "overloaded")
            assert refused.headers["retry-after"] == "1"
            c.drainer.drain()
            assert not c.inbox_full(max_age_s=0)
            assert api.send("/v1/batch", {"batch": track(3, "b")}).status_code == 200
        c.drainer.drain()
        assert sorted(stored_ids(c.engine, workspace.id)) == sorted(
            [f"a{i}" for i in range(10)] + [f"b{i}" for i in range(3)]
        )
    finally:
        c.close()


def test_a_batch_the_store_keeps_refusing_goes_to_quarantine_whole(
    idle: Container, workspace: Workspace
) -> None:
    """A poison batch must not stop the inbox: here its workspace was deleted, so its
    contacts cannot be written; after three tries it is kept in quarantine, and the
    batches behind it are stored."""
    gone = entry(workspace, idle, {"batch": track(2, "p")})
    poison = InboxEntry(999_999, *(getattr(gone, f) for f in InboxEntry.__slots__[1:]))  # type: ignore[arg-type]
    good = entry(workspace, idle, {"batch": track(3, "g")})
    idle.inbox.append([poison, good])
    for _attempt in range(2):
        with pytest.raises(Exception, match="could not store"):
            idle.drainer.drain()
    assert stored_ids(idle.engine, workspace.id) == []
    result = idle.drainer.drain()
    assert result.stored == 3 and result.rejected == 1
    assert sorted(stored_ids(idle.engine, workspace.id)) == ["g0", "g1", "g2"]
    with idle.engine.connect() as conn:
        kept = conn.execute(select(quarantine).where(quarantine.c.workspace_id == 999_999)).one()
    assert "failed 3 times" in kept.reason
    assert [m["messageId"] for m in orjson.loads(kept.raw)["batch"]] == ["p0", "p1"]
    assert idle.inbox.backlog() == 0


def test_a_new_sidecar_file_is_drained_from_its_start(
    sqlite_store: StoreHandle, tmp_path: Path
) -> None:
    """The cursor is kept per sidecar file: a sidecar removed and made anew (its ids start at
    1 again) is not mistaken for one already drained up to the old cursor."""
    c = idle_inbox(sqlite_store, tmp_path)
    ws = c.workspaces.create_workspace("acme")
    key = c.workspaces.create_key(ws, scope="write", source="website")
    try:
        with in_process_api(c, key, ws) as api:
            for n in range(3):
                api.send("/v1/batch", {"batch": track(2, f"old{n}-")})
        c.drainer.drain()
        inbox = c.inbox
        assert isinstance(inbox, SqliteInbox)
        path = inbox.path
    finally:
        c.close()
    path.unlink()
    c = idle_inbox(sqlite_store, tmp_path)
    try:
        with in_process_api(c, key, ws) as api:
            api.send("/v1/batch", {"batch": track(2, "new-")})
        assert c.drainer.drain().stored == 2
        assert {"new-0", "new-1"} <= set(stored_ids(c.engine, ws))
    finally:
        c.close()


def mixed_requests(run: str) -> list[tuple[str, dict[str, Any]]]:
    """A person's story across every kind of call, with a retry and bad messages."""
    email = f"ana.{run}@acme.example"

    def mid() -> str:
        return str(uuid.uuid4())

    batch = {
        "batch": [
            {"type": "page", "anonymousId": "dev-a", "name": "Pricing", "messageId": "p1"},
            {"type": "track", "anonymousId": "dev-a", "event": "White Paper Downloaded",
             "messageId": "t1", "properties": {"asset_id": "wp-1", "read_depth": 80}},
            {"type": "track", "anonymousId": "dev-a"},  # no event: quarantined
            {"type": "identify", "anonymousId": "dev-a", "userId": "u-ana", "messageId": "i1",
             "traits": {"email": email, "name": "Ana", "phone": "+1-555-0100"}},
        ],
        "context": {"library": {"name": "analytics-python"}},
    }  # fmt: skip
    return [
        ("/v1/batch", batch),
        ("/v1/batch", batch),  # the client retried
        ("/v1/track", {"anonymousId": "dev-b", "event": "Webinar Watched", "messageId": mid()}),
        ("/v1/alias", {"previousId": "dev-b", "userId": "u-ana", "messageId": "al1"}),
        ("/v1/group", {"userId": "u-ana", "groupId": "acme", "traits": {"name": "Acme"},
                       "messageId": "g1"}),
        ("/v1/identify", {"userId": "u-bo", "traits": {"email": email}, "messageId": "i2"}),
        ("/v1/page", {"anonymousId": "dev-c", "timestamp": "yesterday"}),  # 400, quarantined
        ("/v1/t", {"anonymousId": "dev-c", "event": "Pricing Viewed", "messageId": "t2",
                   "writeKey": "in-the-body"}),
    ]  # fmt: skip


def story(engine: Engine, workspace_id: int) -> dict[str, Any]:
    """What the store says happened, without ids, times or run-specific e-mails."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(events.c.message_id, events.c.type, events.c.event, contacts.c.id)
            .join(identities, identities.c.id == events.c.identity_id)
            .join(contacts, contacts.c.id == identities.c.contact_id)
            .where(events.c.workspace_id == workspace_id)
        ).all()
        people = conn.execute(
            select(contacts.c.id, contacts.c.name, contacts.c.merged_into_id).where(
                contacts.c.workspace_id == workspace_id
            )
        ).all()
        domains = conn.execute(
            select(accounts.c.domain).where(accounts.c.workspace_id == workspace_id)
        ).scalars()
        reasons = conn.execute(
            select(quarantine.c.source, quarantine.c.line, quarantine.c.reason).where(
                quarantine.c.workspace_id == workspace_id
            )
        ).all()
    survivor = {p.id: p.merged_into_id or p.id for p in people}
    named = {p.id: p.name for p in people}
    by_message = [
        (m if m.count("-") != 4 else "assigned", t, e, named[survivor[c]]) for m, t, e, c in rows
    ]
    return {
        "events": sorted(by_message, key=repr),
        "people": sorted((n or "") for i, n in named.items() if survivor[i] == i),
        "accounts": sorted(d or "" for d in domains),
        "quarantine": sorted(reasons, key=repr),
    }


def test_the_inbox_stores_what_the_direct_path_stores(
    store: StoreHandle, container: Container, tmp_path: Path
) -> None:
    answers: dict[str, list[tuple[int, Any]]] = {}
    stories: dict[str, dict[str, Any]] = {}
    for mode in ("direct", "inbox"):
        c = container if mode == "direct" else idle_inbox(store, tmp_path)
        ws = c.workspaces.create_workspace(f"acme-{mode}")
        key = c.workspaces.create_key(ws, scope="write", source="website")
        with in_process_api(c, key, ws) as api:
            answers[mode] = [
                (r.status_code, {k: v for k, v in r.json().items() if k not in ("duplicates",
                                                                                 "queued")})
                for r in (api.send(path, body) for path, body in mixed_requests(mode))
            ]  # fmt: skip
        if mode == "inbox":
            c.drainer.drain()
        stories[mode] = story(c.engine, ws)
        if c is not container:
            c.close()
    assert answers["inbox"] == answers["direct"]
    assert stories["inbox"] == stories["direct"]
    assert len(stories["direct"]["events"]) == 8 and len(stories["direct"]["quarantine"]) == 3


def test_an_api_read_drains_first(api_inbox: Api) -> None:
    response = api_inbox.send("/v1/batch", {"batch": track(3)})
    assert response.json()["queued"] is True
    assert len(api_inbox.rows()) == 3


@pytest.fixture
def api_inbox(idle: Container, workspace: Workspace) -> Iterator[Api]:
    with in_process_api(idle, workspace.write_key, workspace.id) as client:
        yield client
