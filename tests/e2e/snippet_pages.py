"""Pages that embed the snippet, and the page-clock helpers the browser tests share."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from browser_helpers import Site, TrackingProxy, wait_until

SKEW = timedelta(hours=-3)
ASSET = "ast-coverage-guide"
SECTIONS = 10
PHONE = "+1-555-0199"


def article(leadloop: str, key: str, extra: str = "", tag: str = "") -> str:
    """A long white-paper page: form and links on top, then ten 1,000 px sections."""
    sections = "".join(
        f'<section style="height:1000px"><h2>Part {i}</h2><p>Text.</p></section>'
        for i in range(1, SECTIONS + 1)
    )
    return f"""<!doctype html><html><head><title>Coverage guide</title>
<meta name="leadloop:asset" content="{ASSET}">
<script>window.leadloop = window.leadloop || []; leadloop.push(['track', 'Queued Early'])</script>
<script async src="{leadloop}/t.js" data-write-key="{key}" {tag}></script>
</head><body style="margin:0">
<a id="pdf" href="/files/coverage-map.pdf" data-asset-id="ast-coverage-map" download>Map</a>
<a id="next" href="/signup.html">Get the coverage map</a>
{extra}{sections}</body></html>"""


def signup(leadloop: str, key: str) -> str:
    """A gated-content form that also asks a phone number, which must never leave the page."""
    return f"""<!doctype html><html><head><title>Get the map</title>
<script async src="{leadloop}/t.js" data-write-key="{key}"></script></head><body>
<a id="out" href="https://partner.example/offer" onclick="return false">Partner</a>
<form id="signup" data-form="newsletter-signup" data-topic="branch networking"
 data-asset-id="ast-coverage-map">
 <input name="name"><input name="email" type="email"><input name="phone" id="phone">
 <input name="subscribe" type="checkbox"><button>Send</button>
</form>
<script>document.getElementById('signup').onsubmit = e => e.preventDefault()</script>
</body></html>"""


def queued(page: Any) -> list[dict[str, Any]]:
    """The messages waiting in the page's localStorage queue."""
    return list(orjson.loads(page.evaluate("localStorage.getItem('ll_q')") or "[]"))


def flush(page: Any, ms: int = 2500, *, drained: bool = True) -> None:
    """Let the page clock run (timers fire), then wait until the queue is acknowledged."""
    page.clock.run_for(ms)
    if drained:
        wait_until(page, lambda: not queued(page), "the queue to drain")


def open_article(page: Any, site: Site, front: TrackingProxy, key: str, **kw: str) -> None:
    page.goto(site.add("/guide.html", article(front.url, key, **kw)))
    page.wait_for_function("typeof window.leadloop === 'function'")


def silent_wav(seconds: int = 20, rate: int = 8000) -> bytes:
    """A WAV file of silence: a media file Chromium plays in a `<video>`, made here."""
    data = b"\x80" * (seconds * rate)
    header = b"RIFF" + (36 + len(data)).to_bytes(4, "little") + b"WAVEfmt "
    fmt = (16).to_bytes(4, "little") + (1).to_bytes(2, "little") + (1).to_bytes(2, "little")
    fmt += rate.to_bytes(4, "little") + rate.to_bytes(4, "little")
    fmt += (1).to_bytes(2, "little") + (8).to_bytes(2, "little")
    return header + fmt + b"data" + len(data).to_bytes(4, "little") + data


def set_visibility(page: Any, state: str) -> None:
    """Hide or show the tab as the page sees it (headless Chromium has no other tab)."""
    page.evaluate(
        """state => {
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => state})
        document.dispatchEvent(new Event('visibilitychange'))
    }""",
        state,
    )
