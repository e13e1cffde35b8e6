"""`/t.js` in Debian's Chromium, driven by Playwright against a real `leadloop serve`.

The page lives on a second local site, as a customer's page would. Time runs on
Playwright's page clock, paused: only `run_for` moves it, so active time is exact to the
tick (tolerance: 1 s). The device clock is set three hours wrong on purpose: the stored
times must still be right (sentAt correction).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from browser_helpers import RequestLog, Site, TrackingProxy, stored, wait_until
from snippet_pages import ASSET, PHONE, flush, open_article, queued, signup

from leadloop.bootstrap import Container

if TYPE_CHECKING:
    from conftest import Workspace


def test_a_visit_lands_once_with_depth_time_download_and_identity(
    front: TrackingProxy,
    container: Container,
    workspace: Workspace,
    site: Site,
    device: tuple[Any, RequestLog],
) -> None:
    context, log = device
    site.add("/files/coverage-map.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    site.add("/signup.html", signup(front.url, workspace.write_key))
    site.add(
        "/next.html",
        f'<script async src="{front.url}/t.js" data-write-key='
        f'"{workspace.write_key}"></script><p>Next</p>',
    )
    real_start = datetime.now(UTC)
    page = context.new_page()
    log.attach(page)
    open_article(page, site, front, workspace.write_key)

    # Scroll until the bottom of the window is at 80% of the page, then read for 20 s.
    target = page.evaluate("0.8 * document.documentElement.scrollHeight - innerHeight")
    page.mouse.wheel(0, target)
    page.wait_for_function(f"scrollY >= {target} - 1")
    tops = page.evaluate("[...document.querySelectorAll('section')].map(s => s.offsetTop)")
    reached = sum(1 for top in tops if top < target + page.evaluate("innerHeight"))
    flush(page, 20_000)
    with page.expect_download() as download:
        page.click("#pdf")
    assert download.value.suggested_filename == "coverage-map.pdf"
    page.click("#next")  # page hide: the article's Content Engaged goes by sendBeacon
    page.wait_for_function("typeof window.leadloop === 'function'")

    page.fill("[name=name]", "Ana Silva")
    page.fill("[name=email]", "Ana.Silva@Acme.example")
    page.fill("#phone", PHONE)
    page.check("[name=subscribe]")
    page.click("button")
    flush(page)

    # Offline: the messages wait in localStorage, then go exactly once when back online.
    context.set_offline(True)
    page.evaluate("leadloop('track', 'Offline Note', {n: 1})")
    page.click("#out")
    flush(page, 10_000, drained=False)
    waiting = queued(page)
    assert [m["event"] for m in waiting] == ["Offline Note", "Outbound Link Clicked"]
    context.set_offline(False)
    flush(page, 100)

    page.goto(site.url + "/next.html")
    page.wait_for_function("typeof window.leadloop === 'function'")
    flush(page)

    def engaged_sent() -> int:
        return len(
            {m["messageId"] for m in front.messages() if m.get("event") == "Content Engaged"}
        )

    wait_until(page, lambda: engaged_sent() == 2, "both pages' Content Engaged beacons")
    sent = front.messages()
    rows = stored(container.engine)
    ids = [r["messageId"] for r in rows]
    assert len(ids) == len(set(ids)), "a message is stored twice"
    assert set(ids) == {m["messageId"] for m in sent}
    offline = {m["messageId"] for m in waiting}
    carriers = [r for r in front.sent if offline & {m["messageId"] for m in r.messages}]
    assert [r.status for r in carriers] == [200], "the offline queue went more than once"

    def one(event: str) -> dict[str, Any]:
        (found,) = [r for r in rows if r.get("event") == event]
        return found

    pages = [r for r in rows if r["type"] == "page"]
    paths = ["/guide.html", "/signup.html", "/next.html"]
    assert [p["properties"]["path"] for p in pages] == paths
    assert pages[0]["properties"]["asset_id"] == ASSET
    assert pages[0]["properties"]["title"] == "Coverage guide"
    assert pages[1]["properties"]["referrer"] == site.url + "/guide.html"
    (engaged,) = [
        r["properties"]
        for r in rows
        if r.get("event") == "Content Engaged" and r["properties"].get("asset_id") == ASSET
    ]
    assert engaged["read_depth"] >= 80 and engaged["sections_reached"] == reached
    assert abs(engaged["active_seconds"] - 20) <= 1  # the 20 s on the page clock
    assert one("Asset Downloaded")["properties"] == {
        "asset_id": "ast-coverage-map",
        "url": site.url + "/files/coverage-map.pdf",
    }
    assert one("Form Submitted")["properties"] == {
        "form": "newsletter-signup",
        "asset_id": "ast-coverage-map",
    }
    assert one("Outbound Link Clicked")["properties"] == {"url": "https://partner.example/offer"}
    assert one("Queued Early")["type"] == "track"  # the command queue ran on load

    identify = next(r for r in rows if r["type"] == "identify")
    assert identify["traits"] == {
        "email": "Ana.Silva@Acme.example",
        "name": "Ana Silva",
        "subscribe": True,
        "topic": "branch networking",
    }
    assert identify["_dropped"] in (None, "")
    assert not any(PHONE in orjson.dumps(m).decode() for m in sent), "the phone left the page"
    # The anonymous history joined the identified contact: one person owns every event.
    assert {r["_contact"] for r in rows} == {identify["_contact"]}
    assert len({m["anonymousId"] for m in sent}) == 1
    # A device clock three hours slow does not move the stored times.
    for r in rows:
        ts = r["_stored_at"]
        assert real_start - timedelta(minutes=1) < ts < datetime.now(UTC) + timedelta(minutes=1)
    assert log.hosts() == {"127.0.0.1"}, "a request left the machine"
    assert all(r.content_type.startswith("text/plain") for r in front.sent)
