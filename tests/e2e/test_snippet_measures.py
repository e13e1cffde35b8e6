"""What the snippet measures, in Debian's Chromium on a paused page clock: video progress
milestones, and active time that leaves out hidden tabs and idle readers (tolerance 1 s)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from browser_helpers import RequestLog, Site, TrackingProxy, stored, wait_until
from snippet_pages import ASSET, flush, open_article, queued, set_visibility, silent_wav

from leadloop.bootstrap import Container

if TYPE_CHECKING:
    from conftest import Workspace

VIDEO = '<video id="v" src="/files/chapter-1.wav" data-asset-id="ast-video-book-1"></video>'


def seek(page: Any, fraction: float, milestones: int) -> None:
    page.evaluate(f"v => v.currentTime = v.duration * {fraction}", page.query_selector("#v"))
    wait_until(
        page,
        lambda: sum(m.get("event") == "Video Progress" for m in queued(page)) >= milestones,
        f"{milestones} video milestones",
    )


def test_video_milestones_and_active_time_without_hidden_or_idle_time(
    front: TrackingProxy,
    container: Container,
    workspace: Workspace,
    site: Site,
    device: tuple[Any, RequestLog],
) -> None:
    context, _log = device
    site.add("/files/chapter-1.wav", silent_wav(20), "audio/wav")
    site.add("/other.html", "<p>elsewhere</p>")
    page = context.new_page()
    open_article(page, site, front, workspace.write_key, extra=VIDEO)
    page.wait_for_function("document.querySelector('#v').duration > 0")
    seek(page, 0.3, 1)
    seek(page, 0.8, 3)
    seek(page, 1.0, 4)
    flush(page)

    set_visibility(page, "hidden")  # a minute in another tab does not count
    flush(page, 60_000)
    set_visibility(page, "visible")
    # An instant scroll, awaited: a late scroll event would count as input when it lands.
    page.evaluate(
        "() => new Promise(r => { addEventListener('scroll', r, {once: true}); scrollTo(0, 500) })"
    )
    page.keyboard.press("Shift")
    flush(page, 10_000)
    flush(page, 120_000)  # no input: counted until 30 s after the last one, then idle
    page.goto(site.url + "/other.html")

    def engaged() -> list[dict[str, Any]]:
        return [r for r in stored(container.engine) if r["event"] == "Content Engaged"]

    wait_until(page, lambda: len(engaged()) == 2, "a Content Engaged per hide")
    videos = [r["properties"] for r in stored(container.engine) if r["event"] == "Video Progress"]
    assert [(v["percent"], v["position_seconds"]) for v in videos] == [
        (25, 6),
        (50, 16),
        (75, 16),
        (100, 20),
    ]
    assert {v["asset_id"] for v in videos} == {"ast-video-book-1"}
    parts = [r["properties"] for r in engaged()]
    assert {p["asset_id"] for p in parts} == {ASSET}
    # Load to hide: the 2.5 s flush. Hidden minute: nothing. Back: 10 s + 20 s until idle.
    first, second = (p["active_seconds"] for p in parts)
    assert abs(first - 2.5) <= 1 and abs(second - 30) <= 1, parts
    assert parts[1]["read_depth"] > parts[0]["read_depth"]  # the furthest, after scrolling
