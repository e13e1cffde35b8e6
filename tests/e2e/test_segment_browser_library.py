"""Segment's own browser library, `@segment/analytics-next` from npm (bundled at build time
by esbuild, tests/e2e/browser/), in Debian's Chromium, pointed at Leadloop: its settings
come from Leadloop's `/v1/projects/{writeKey}/settings`, so no request leaves the machine,
and its page/track/identify calls land like the snippet's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from browser_helpers import ANALYTICS_NEXT, RequestLog, Site, TrackingProxy, stored, wait_until

from leadloop.bootstrap import Container

if TYPE_CHECKING:
    from conftest import Workspace

STANDARD: dict[str, Any] = {}
BATCHING = {
    "integrations": {
        "Segment.io": {"deliveryStrategy": {"strategy": "batching", "config": {"size": 3}}}
    }
}


def page_with_library(front: str, key: str, options: dict[str, Any]) -> str:
    import json

    return f"""<!doctype html><html><head><title>Coverage guide</title>
<script src="/analytics-next.js"></script></head><body><p>Guide</p><script>
window.done = (async () => {{
  const analytics = AnalyticsBrowser.load({{writeKey: '{key}', cdnURL: '{front}'}},
                                          {json.dumps(options)})
  await analytics.page({{asset_id: 'ast-coverage-guide'}})
  await analytics.track('Asset Downloaded', {{asset_id: 'ast-coverage-map',
                                              url: location.origin + '/map.pdf'}})
  await analytics.identify('u-ana', {{email: 'ana@acme.example', name: 'Ana',
                                     phone: '+1-555-0100'}})
  return (await analytics.user()).anonymousId()
}})()
</script></body></html>"""


@pytest.mark.parametrize("options", [STANDARD, BATCHING], ids=["standard", "batching"])
def test_analytics_next_delivers_page_track_identify_like_the_snippet(
    front: TrackingProxy,
    container: Container,
    workspace: Workspace,
    site: Site,
    chromium: Any,
    options: dict[str, Any],
) -> None:
    if not ANALYTICS_NEXT.exists():
        pytest.skip(f"{ANALYTICS_NEXT} missing: `make test` builds it (npm ci, then esbuild)")
    site.add("/analytics-next.js", ANALYTICS_NEXT.read_bytes(), "text/javascript")
    url = site.add("/guide.html", page_with_library(front.url, workspace.write_key, options))
    context = chromium.new_context()
    try:
        page = context.new_page()
        log = RequestLog().attach(page)
        page.goto(url)
        anonymous_id = page.evaluate("window.done")
        wait_until(page, lambda: len(stored(container.engine)) == 3, "three messages")
    finally:
        context.close()

    paths = {r.path for r in front.sent}
    assert paths == ({"/v1/b"} if options else {"/v1/p", "/v1/t", "/v1/i"})
    assert {r.content_type for r in front.sent} == {"text/plain"}
    assert all(r.status == 200 for r in front.sent)
    assert log.hosts() == {"127.0.0.1"}, "a request left the machine"
    assert f"{front.url}/v1/projects/{workspace.write_key}/settings" in log.urls

    rows = stored(container.engine)
    assert [r["type"] for r in rows] == ["page", "track", "identify"]
    page_view, download, identify = rows
    assert page_view["properties"]["path"] == "/guide.html"
    assert page_view["properties"]["title"] == "Coverage guide"
    assert page_view["properties"]["asset_id"] == "ast-coverage-guide"
    assert download["event"] == "Asset Downloaded"
    assert download["properties"]["asset_id"] == "ast-coverage-map"
    assert identify["traits"] == {"email": "ana@acme.example", "name": "Ana"}
    assert identify["_dropped"] == "phone"  # passive profiling, enforced by the server
    assert {r["_contact"] for r in rows} == {identify["_contact"]}  # history joined
    assert {m["anonymousId"] for r in front.sent for m in r.messages} == {anonymous_id}
    assert all(r["context"]["library"]["name"] == "analytics.js" for r in rows)
