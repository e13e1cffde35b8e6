"""The web dashboard over the hand-written revenue world, on SQLite and PostgreSQL: signing
in with an admin key, and the figures the page shows (worked out in test_engines.py)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from engine_world import load

from leadloop.api.app import create_app
from leadloop.domain.costs import cost_line_from_record
from leadloop.services.dashboard import dashboard

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def browser(container: Any, tmp_path: Path) -> Iterator[tuple[Any, Any, int]]:
    """A cookie-keeping client on the real app, and the world's admin and write keys."""
    ws = load(container, tmp_path)
    admin = container.workspaces.create_key(ws, scope="admin")
    write = container.workspaces.create_key(ws, scope="write", source="web")
    transport = httpx.ASGITransport(app=create_app(container))
    with start_blocking_portal() as portal:
        http = httpx.AsyncClient(transport=transport, base_url="http://leadloop.test")

        def call(method: str, path: str, **kw: Any) -> httpx.Response:
            return portal.call(lambda: http.request(method, path, **kw))

        yield call, (admin, write), ws
        portal.call(http.aclose)


def _sign_in(call: Any, key: str, next_url: str = "/dashboard") -> httpx.Response:
    return call("POST", "/dashboard/login", content=f"key={key}&next={next_url}", headers=FORM)


def test_pages_ask_for_an_admin_key_and_refuse_a_write_key(browser: Any) -> None:
    call, (admin, write), _ = browser
    response = call("GET", "/dashboard")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login?next=/dashboard"
    assert call("GET", "/").headers["location"] == "/dashboard"
    login = call("GET", "/dashboard/login")
    assert login.status_code == 200 and 'name="key"' in login.text

    refused = _sign_in(call, write)
    assert refused.status_code == 401 and "needs an admin key" in refused.text
    unknown = _sign_in(call, "ll_a_nope")
    assert unknown.status_code == 401 and "unknown or revoked" in unknown.text
    assert call("GET", "/dashboard").status_code == 303  # still signed out

    signed = _sign_in(call, admin)
    assert signed.status_code == 303 and signed.headers["location"] == "/dashboard"
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert call("GET", "/dashboard").status_code == 200

    out = call("POST", "/dashboard/logout")
    assert out.status_code == 303
    assert call("GET", "/dashboard").status_code == 303


def test_sign_in_only_returns_to_our_own_pages(browser: Any) -> None:
    call, (admin, _), _ = browser
    for target in ("//evil.example/x", "https://evil.example", "/dashboard//evil.example"):
        assert _sign_in(call, admin, target).headers["location"] == "/dashboard"
    assert _sign_in(call, admin, "/dashboard/leads/7").headers["location"] == "/dashboard/leads/7"


def test_the_overview_shows_cpod_pipeline_and_nurture_of_the_world(browser: Any) -> None:
    call, (admin, _), _ = browser
    _sign_in(call, admin)
    page = call("GET", "/dashboard").text
    cpod = dict(re.findall(r'data-cpod="([^"]+)">([^<]+)<', page))
    assert cpod == {"2025-Q1": "0.600", "2025-Q2": "0.475"}  # test_engines.py, by hand
    cpcv = dict(re.findall(r'data-cpcv="([^"]+)">([^<]+)<', page))
    assert cpcv == {"2025-Q1": "0.300", "2025-Q2": "0.225"}  # test_engines.py, by hand
    pipeline = re.search(r'id="pipeline".*?</section>', page, re.S)
    assert pipeline is not None
    rows = re.findall(r"<tr><td>(2025-Q\d)</td><td class=\"n\">(\d+)</td>", pipeline.group(0))
    assert rows == [("2025-Q1", "3"), ("2025-Q2", "1")]  # O1-O3 created in Q1, O4 in Q2
    kpis = dict(re.findall(r'data-kpi="([a-z]+)">([^<]+)<', page))
    assert kpis["known"] == "3" and kpis["accounts"] == "2"
    assert page.count("<svg") >= 5  # cpod, pipeline, revenue, conversion, nurture


def test_the_overview_by_month(browser: Any) -> None:
    call, (admin, _), _ = browser
    _sign_in(call, admin)
    page = call("GET", "/dashboard", params={"by": "month"}).text
    assert "periods by month" in page and 'data-by="quarter"' in page
    cpcv = dict(re.findall(r'data-cpcv="([^"]+)">([^<]+)<', page))
    # O1 closed in February: Search ads (none booked in Feb) and Webinars (200) touched it;
    # O3 in May: only the sales team was booked then, no program that touched it. Months
    # with marketing cost or new leads but no win have no ratio.
    assert cpcv == {"2025-02": "0.200", "2025-05": "0.000",
                    "2025-01": "n/a", "2025-04": "n/a", "2025-06": "n/a"}  # fmt: skip
    assert call("GET", "/dashboard", params={"by": "decade"}).status_code == 422


def test_the_page_loads_nothing_from_elsewhere(browser: Any) -> None:
    call, (admin, _), _ = browser
    _sign_in(call, admin)
    page = call("GET", "/dashboard").text
    assert "<script" not in page
    loaded = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert loaded and all(u.startswith(("/", "data:")) for u in loaded), loaded


def test_an_empty_workspace_gets_a_page_that_says_what_to_do_next(
    container: Any, workspace: Any
) -> None:
    transport = httpx.ASGITransport(app=create_app(container))
    with start_blocking_portal() as portal:
        http = httpx.AsyncClient(
            transport=transport,
            base_url="http://leadloop.test",
            headers={"cookie": f"leadloop_admin={workspace.admin_key}"},
        )
        response = portal.call(lambda: http.get("/dashboard"))
        portal.call(http.aclose)
    assert response.status_code == 200
    assert "<svg" not in response.text  # no chart of nothing
    assert "leadloop rules approve" in response.text and "leadloop rep add" in response.text
    assert "leadloop content tag-sales" in response.text


def test_the_revenue_reports_are_kept_for_their_time_to_live(
    container: Any, tmp_path: Path
) -> None:
    ws = load(container, tmp_path)

    def cpod(ttl: float) -> dict[str, Any]:
        d = dashboard(container.engine, container.lead_store, container.profile_config, ws,
                      report_ttl_s=ttl)  # fmt: skip
        return {r["period"]: r["cpod"] for r in d.cpod.records()}

    assert cpod(0.5) == {"2025-Q1": 0.6, "2025-Q2": 0.475}
    line = cost_line_from_record(
        {"month": "2025-01", "kind": "sales", "program": "Extra", "amount": 600.0}
    )
    container.costs.apply(ws, [line], "test")
    assert cpod(0.5)["2025-Q1"] == 0.6  # kept: the page does not read the warehouse again
    assert cpod(0)["2025-Q1"] == 1.2  # no time to live: read now (1,200 / 1,000)
    time.sleep(0.6)
    assert cpod(0.5)["2025-Q1"] == 1.2  # expired: read again
