"""How the snippet delivers in Debian's Chromium when the server is away, refuses a batch,
or stores a batch whose answer is lost: retried with backoff from localStorage (across a
reload), dropped on 4xx, never stored twice."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from browser_helpers import RequestLog, Site, TrackingProxy, stored, wait_until
from snippet_pages import flush, open_article, queued

from leadloop.bootstrap import Container

if TYPE_CHECKING:
    from conftest import Workspace


def answered(page: Any, front: TrackingProxy, count: int) -> list[int]:
    """Wait until the proxy has answered ``count`` tracking requests; their statuses."""
    wait_until(page, lambda: len(front.sent) >= count, f"{count} tracking requests")
    page.wait_for_timeout(200)  # and no more arrive
    return [r.status for r in front.sent]


def names(messages: list[dict[str, Any]]) -> list[str]:
    return [m["event"] if m["type"] == "track" else m["type"] for m in messages]


def test_a_server_away_is_retried_with_backoff_across_a_reload(
    front: TrackingProxy,
    container: Container,
    workspace: Workspace,
    site: Site,
    device: tuple[Any, RequestLog],
) -> None:
    context, _log = device
    page = context.new_page()
    front.down = 2
    open_article(page, site, front, workspace.write_key)
    first = queued(page)[0]["messageId"]
    flush(page, drained=False)
    assert answered(page, front, 1) == [503]
    flush(page, 1_000, drained=False)  # backoff: 2 s (+/- 20%) after the first failure
    assert answered(page, front, 1) == [503]
    flush(page, 1_500, drained=False)
    assert answered(page, front, 2) == [503, 503]

    # The queue survives the reload in localStorage; whatever the page hide sent whose
    # answer the page did not live to read goes again, and the server keeps one copy.
    page.reload()
    page.wait_for_function("typeof window.leadloop === 'function'")
    flush(page)
    assert set(answered(page, front, 3)[2:]) == {200}
    expected = ["page", "Queued Early", "Content Engaged", "page", "Queued Early"]
    wait_until(page, lambda: len(stored(container.engine)) == 5, "five messages")
    rows = stored(container.engine)
    assert names(rows) == expected and rows[0]["messageId"] == first
    assert {r["messageId"] for r in rows} == {m["messageId"] for m in front.messages()}
    assert queued(page) == []


def test_a_refused_batch_is_dropped_and_a_lost_answer_is_resent_but_stored_once(
    front: TrackingProxy,
    container: Container,
    workspace: Workspace,
    site: Site,
    device: tuple[Any, RequestLog],
) -> None:
    context, _log = device
    page = context.new_page()
    front.reject = 1
    open_article(page, site, front, workspace.write_key)
    flush(page)  # 400: dropped, not retried
    assert answered(page, front, 1) == [400]

    front.lose = 1
    page.evaluate("leadloop('track', 'Coverage Checked', {postcode: '1000'})")
    flush(page, drained=False)
    assert answered(page, front, 2) == [400, 502]
    flush(page, 3_000)  # the 502 after storing: resent after the backoff
    assert answered(page, front, 3) == [400, 502, 200]
    assert front.sent[1].messages == front.sent[2].messages  # the very same messages
    flush(page, 60_000)
    assert len(answered(page, front, 3)) == 3  # nothing acknowledged or refused is sent again
    rows = stored(container.engine)
    assert names(rows) == ["Coverage Checked"]  # stored once; the refused batch is not
    assert rows[0]["messageId"] == front.sent[2].messages[0]["messageId"]
