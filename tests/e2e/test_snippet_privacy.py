"""The snippet's privacy promises in Debian's Chromium: Do-Not-Track sends nothing and sets
no cookie; `data-consent="required"` waits for `leadloop('consent', true)`."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from browser_helpers import RequestLog, Site, TrackingProxy, stored, wait_until
from snippet_pages import flush, open_article, queued

from leadloop.bootstrap import Container

if TYPE_CHECKING:
    from conftest import Workspace

DNT = "Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'})"


def cookies(context: Any) -> dict[str, str]:
    return {c["name"]: c["value"] for c in context.cookies()}


def browse(page: Any) -> None:
    """What a reader does: scroll, click the download, call the API, wait a minute."""
    page.mouse.wheel(0, 3000)
    page.evaluate("leadloop('track', 'Custom Thing', {a: 1})")
    with page.expect_download():
        page.click("#pdf")
    flush(page, 60_000, drained=False)


def test_do_not_track_sends_nothing_and_stores_nothing(
    front: TrackingProxy,
    container: Container,
    workspace: Workspace,
    site: Site,
    device: tuple[Any, RequestLog],
) -> None:
    context, _log = device
    context.add_init_script(DNT)
    site.add("/files/coverage-map.pdf", b"%PDF-1.4\n", "application/pdf")
    page = context.new_page()
    open_article(page, site, front, workspace.write_key)
    browse(page)
    page.goto(site.url + "/files/coverage-map.pdf")  # page hide: no beacon either
    assert front.sent == []
    assert "ll_aid" not in cookies(context)
    assert stored(container.engine) == []


def test_consent_required_waits_then_sends_and_revoking_forgets(
    front: TrackingProxy,
    container: Container,
    workspace: Workspace,
    site: Site,
    device: tuple[Any, RequestLog],
) -> None:
    context, _log = device
    site.add("/files/coverage-map.pdf", b"%PDF-1.4\n", "application/pdf")
    page = context.new_page()
    open_article(page, site, front, workspace.write_key, tag='data-consent="required"')
    browse(page)
    assert front.sent == [] and queued(page) == []  # held in memory only
    assert "ll_aid" not in cookies(context)

    page.evaluate("leadloop('consent', true)")
    flush(page, 100)
    events = [m.get("event") or m["type"] for m in front.messages()]
    assert events == ["page", "Queued Early", "Custom Thing", "Asset Downloaded"]
    anonymous_id = cookies(context)["ll_aid"]
    assert {m["anonymousId"] for m in front.messages()} == {anonymous_id}

    page.reload()  # consent is remembered on this site
    page.wait_for_function("typeof window.leadloop === 'function'")
    flush(page)
    assert front.messages()[-1]["type"] == "track"  # Queued Early, after the page view
    assert front.messages()[-2]["anonymousId"] == anonymous_id

    page.evaluate("leadloop('consent', false)")
    before = len(front.sent)
    page.evaluate("leadloop('track', 'After Revoke')")
    flush(page, 10_000, drained=False)
    assert len(front.sent) == before and "ll_aid" not in cookies(context)
    assert page.evaluate("localStorage.getItem('ll_consent')") is None
    wait_until(page, lambda: len(stored(container.engine)) == 7, "the consented messages")
    rows = stored(container.engine)
    assert [r["event"] if r["type"] == "track" else r["type"] for r in rows] == [
        *("page", "Queued Early", "Custom Thing", "Asset Downloaded"),
        "Content Engaged",  # the reload hid the first page view
        *("page", "Queued Early"),
    ]
    assert {r["messageId"] for r in rows} == {m["messageId"] for m in front.messages()}


def test_the_anonymous_id_cookie_and_a_user_id_are_remembered_until_reset(
    front: TrackingProxy,
    container: Container,
    workspace: Workspace,
    site: Site,
    device: tuple[Any, RequestLog],
) -> None:
    context, _log = device
    page = context.new_page()
    open_article(page, site, front, workspace.write_key)
    (aid,) = [c for c in context.cookies() if c["name"] == "ll_aid"]
    assert aid["sameSite"] == "Lax" and aid["path"] == "/" and not aid["httpOnly"]
    year = aid["expires"] - time.time()
    assert 364 * 86400 < year <= 365 * 86400 + 60  # one year, first-party
    page.evaluate("leadloop('identify', 'crm-42', {email: 'bo@beta.example', title: 'CTO'})")
    page.reload()
    page.wait_for_function("typeof window.leadloop === 'function'")
    flush(page)
    after = front.messages()[-2:]  # the reloaded page's view and queued command
    assert {m["userId"] for m in after} == {"crm-42"}
    assert {m["anonymousId"] for m in front.messages()} == {aid["value"]}
    page.evaluate("leadloop('reset')")
    page.evaluate("leadloop('track', 'After Reset')")
    flush(page)
    last = front.messages()[-1]
    assert "userId" not in last and last["anonymousId"] != aid["value"]
    rows = stored(container.engine)
    identify = next(r for r in rows if r["type"] == "identify")
    assert identify["_dropped"] == "title" and identify["traits"] == {"email": "bo@beta.example"}
