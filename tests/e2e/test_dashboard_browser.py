"""The dashboard in Debian's Chromium against a real `leadloop serve`: sign in with the
admin key through the form, read the overview, sign out; every request stays on the
server (no CDN, no font or script from elsewhere) and the page logs no error."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from e2e_helpers import LiveServer

    from conftest import Workspace


def test_sign_in_read_the_overview_and_sign_out(
    chromium: Any, live_server: LiveServer, workspace: Workspace
) -> None:
    context = chromium.new_context()
    page = context.new_page()
    hosts: set[str] = set()
    errors: list[str] = []
    page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{live_server.url}/")
        assert page.url.endswith("/dashboard/login?next=/dashboard")
        page.fill("#key", workspace.write_key)
        page.click("button[type=submit]")
        assert "needs an admin key" in page.inner_text("[role=alert]")

        page.fill("#key", workspace.admin_key)
        page.click("button[type=submit]")
        page.wait_for_url("**/dashboard")
        assert page.inner_text("header nav").count("acme") == 1
        assert page.locator("[data-kpi=known]").inner_text() == "0"
        assert page.locator("#handed").inner_text().count("No lead handed over yet") == 1

        page.click("text=Sign out")
        page.wait_for_url("**/dashboard/login")
        page.goto(f"{live_server.url}/dashboard")
        assert "/dashboard/login" in page.url
    finally:
        context.close()
    assert hosts == {urlsplit(live_server.url).netloc}
    assert [e for e in errors if "401" not in e] == []  # the refused sign-in answers 401
