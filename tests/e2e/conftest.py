"""Fixtures for end-to-end tests: a real server process on the parametrised store, and
Debian's Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browser_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    RequestLog,
    Site,
    TrackingProxy,
    chromium_missing,
)
from e2e_helpers import LiveServer
from snippet_pages import SKEW

if TYPE_CHECKING:
    from conftest import StoreHandle, Workspace


@pytest.fixture
def live_server(store: StoreHandle, workspace: Workspace, tmp_path: Path) -> Iterator[LiveServer]:
    """`leadloop serve` on a free port of this machine, stopped after the test."""
    server = LiveServer(store.url, tmp_path / "server.log").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright, once per session; skips, saying why, when missing."""
    reason = chromium_missing()
    if reason:
        pytest.skip(reason)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def site() -> Iterator[Site]:
    """A local web site (another port than Leadloop's) that embeds the snippet."""
    server = Site().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def front(live_server: LiveServer) -> Iterator[TrackingProxy]:
    """The address pages load the snippet from: forwards to `leadloop serve`, records."""
    proxy = TrackingProxy(live_server.url).start()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def device(chromium: Any) -> Iterator[tuple[Any, RequestLog]]:
    """A fresh browser profile whose clock is three hours slow and paused."""
    context = chromium.new_context(accept_downloads=True)
    log = RequestLog()
    start = datetime.now(UTC) + SKEW
    context.clock.install(time=start)
    context.clock.pause_at(start + timedelta(seconds=1))
    try:
        yield context, log
    finally:
        context.close()
