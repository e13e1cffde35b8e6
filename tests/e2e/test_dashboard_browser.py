"""The dashboard in Debian's Chromium against a real `leadloop serve`: sign in with the
admin key through the form, read the overview, sign out; every request stays on the
server (no CDN, no font or script from elsewhere) and the page logs no error. A rep
accepts a lead from its page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from leadloop.domain.lifecycle import Actor
from leadloop.services.leads import move_lead
from leadloop.store.tables import contacts

if TYPE_CHECKING:
    from e2e_helpers import LiveServer

    from conftest import Workspace
    from leadloop.bootstrap import Container


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


def test_a_rep_accepts_a_lead_from_its_page(
    chromium: Any, live_server: LiveServer, workspace: Workspace, container: Container
) -> None:
    answer = httpx.post(
        f"{live_server.url}/v1/identify",
        json={"userId": "u-9", "traits": {"email": "ana@acme-logistics.example", "name": "Ana"}},
        auth=(workspace.write_key, ""),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    with container.engine.connect() as conn:
        contact = conn.execute(
            select(contacts.c.id).where(contacts.c.email == "ana@acme-logistics.example")
        ).scalar_one()
    store = container.lead_store
    with store.write_connection() as conn, conn.begin():
        move_lead(store, conn, workspace.id, contact, "sales_ready", actor=Actor("rule", "1"),
                  reason="hand-written for the test", at=datetime.now(UTC))  # fmt: skip
    container.users.add(workspace.id, "sam@acme.example", "sales", "Sam")

    context = chromium.new_context()
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/dashboard/leads/{contact}")
        page.fill("#key", workspace.admin_key)
        page.click("button[type=submit]")
        page.wait_for_url(f"**/dashboard/leads/{contact}")
        assert page.locator("[data-state]").first.inner_text() == "sales_ready"
        page.fill("input[name=user]", "sam@acme.example")
        page.click("button[value=accept]")
        page.wait_for_url("**?done=accept&changed=1")
        assert page.locator("[role=status]").inner_text() == "accept: done"
        assert page.locator("[data-state]").first.inner_text() == "accepted"
        # The acting user is remembered for the next action; rejecting now is illegal.
        assert page.input_value("input[name=user]") == "sam@acme.example"
        assert page.locator("button[value=reject]").count() == 0
    finally:
        context.close()
    assert container.leads.show(workspace.id, contact).state == "accepted"
