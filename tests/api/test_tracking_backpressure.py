"""Back-pressure and store failures: 429/503 with Retry-After, and nothing half-stored.

The writer is blocked for real: another connection holds the database's write lock, so the
group-commit thread waits inside its transaction while requests keep arriving.
"""

from __future__ import annotations

import concurrent.futures as cf
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest
from api_helpers import Api, assert_error, in_process_api
from sqlalchemy import Engine, func, select, text

from leadloop.bootstrap import Container
from leadloop.store.tables import events, identities

if TYPE_CHECKING:
    from conftest import StoreHandle, Workspace


@pytest.fixture
def small_queue_api(store: StoreHandle, workspace: Workspace) -> Iterator[Api]:
    """The app on a container whose writer queue holds a single waiting request."""
    container = store.container(ingest_queue_batches=1)
    try:
        with in_process_api(container, workspace.write_key, workspace.id) as api:
            yield api
    finally:
        container.close()


@contextmanager
def write_lock(engine: Engine) -> Iterator[None]:
    """Hold the store's write lock from another connection until the block ends."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execution_options(sqlite_immediate=True)
        with conn.begin():
            if engine.dialect.name != "sqlite":
                conn.execute(text("LOCK TABLE events IN EXCLUSIVE MODE"))
            yield


def batch(n: int) -> dict[str, Any]:
    return {
        "batch": [
            {"type": "page", "anonymousId": f"c{n}", "messageId": f"b{n}-{i}"} for i in range(3)
        ]
    }


def stored_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(select(events.c.message_id))}


def test_a_full_queue_answers_429_with_retry_after(small_queue_api: Api) -> None:
    api = small_queue_api
    n = 6
    with cf.ThreadPoolExecutor(n) as pool:
        with write_lock(api.engine):
            futures = {pool.submit(api.send, "/v1/batch", batch(i)): i for i in range(n)}
            deadline = time.monotonic() + 20
            while sum(f.done() for f in futures) < n - 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            early = {futures[f]: f.result() for f in futures if f.done()}
            assert len(early) >= n - 2, "requests beyond the queue must not wait"
            for response in early.values():
                body = assert_error(response, 429, "overloaded")
                assert int(response.headers["Retry-After"]) >= 1
                assert body["detail"]["retry_after"] == int(response.headers["Retry-After"])
        # Lock released: whatever was queued completes and is acknowledged.
        answers = {i: f.result(timeout=30) for f, i in futures.items()}
    ok = {i for i, r in answers.items() if r.status_code == 200}
    refused = {i for i, r in answers.items() if r.status_code == 429}
    assert ok | refused == set(range(n)) and 1 <= len(ok) <= 2
    assert stored_ids(api.engine) == {m["messageId"] for i in ok for m in batch(i)["batch"]}
    # The client retries a refused batch after Retry-After: now it is stored.
    retry = next(iter(refused))
    assert api.send("/v1/batch", batch(retry), headers={"X-Retry-Count": "1"}).status_code == 200
    assert {f"b{retry}-0", f"b{retry}-1", f"b{retry}-2"} <= stored_ids(api.engine)


def test_a_failing_store_answers_503_and_keeps_nothing(api: Api, container: Container) -> None:
    with container.engine.begin() as conn:
        conn.execute(text("ALTER TABLE events RENAME TO events_away"))
    body = {
        "batch": [
            {"type": "identify", "userId": "u-1", "anonymousId": "c-1", "messageId": "m1"},
            {"type": "page", "anonymousId": "c-2", "messageId": "m2"},
        ]
    }
    response = api.send("/v1/batch", body)
    assert_error(response, 503, "store_error")
    assert response.headers["Retry-After"] == "1"
    with container.engine.begin() as conn:
        conn.execute(text("ALTER TABLE events_away RENAME TO events"))
        assert conn.execute(select(func.count()).select_from(identities)).scalar_one() == 0
    # The client's retry succeeds, and its events point at identities that exist.
    assert api.send("/v1/batch", body).json()["accepted"] == 2
    with container.engine.connect() as conn:
        joined = conn.execute(
            select(func.count()).select_from(
                events.join(identities, identities.c.id == events.c.identity_id)
            )
        ).scalar_one()
    assert joined == 2
