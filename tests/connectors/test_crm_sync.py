"""`sync_opportunities` end to end: simple-salesforce → local server → the real store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from crm_helpers import connect, sf_opportunity, sf_role
from sqlalchemy import func, select

from leadloop.domain.crm import OpportunityChange, contacts_to_recycle
from leadloop.services.crm_sync import sync_opportunities
from leadloop.store.records import AccountRecord, ContactRecord
from leadloop.store.tables import opportunities, opportunity_contacts

API = "/services/data/v60.0"


def _world(crm, count: int = 5) -> None:
    for n in range(1, count + 1):
        crm.salesforce.put("Opportunity", **sf_opportunity(n))
        crm.salesforce.put("OpportunityContactRole", **sf_role(n, "ana@acme.example"))
    crm.salesforce.put(
        "OpportunityContactRole", **sf_role(1, "stranger@else.example", "Influencer", 2)
    )


def _sync(container, workspace, crm_server, hooks=(), **kwargs):
    connector, mapping, stages = connect(crm_server, "salesforce")
    return sync_opportunities(
        container.crm,
        container.crm_state,
        connector,
        workspace_id=workspace.id,
        mapping=mapping,
        stages=stages,
        hooks=hooks,
        **kwargs,
    )


def _rows(container, table=opportunities):
    with container.engine.connect() as conn:
        return conn.execute(select(table).order_by(table.c.id)).all()


@pytest.fixture
def people(container, workspace):
    """Our contact Ana and her account, to be matched by e-mail and by domain."""
    container.directory.upsert_accounts(
        workspace.id,
        [AccountRecord(name="Acme", domain="acme.example")],
        [],
        key="domain",
        source="test",
    )
    container.directory.upsert_contacts(workspace.id, [ContactRecord(email="ana@acme.example")], [])
    with container.engine.connect() as conn:
        from leadloop.store.tables import accounts, contacts

        return (
            conn.execute(
                select(contacts.c.id).where(contacts.c.email == "ana@acme.example")
            ).scalar(),
            conn.execute(select(accounts.c.id).where(accounts.c.domain == "acme.example")).scalar(),
        )


def test_first_sync_stores_every_opportunity_with_roles_and_links(
    container, workspace, crm_server, crm, people
):
    _world(crm)
    contact_id, account_id = people

    report = _sync(container, workspace, crm_server)

    assert (report.status, report.fetched, report.created, report.updated) == ("ok", 5, 5, 0)
    rows = _rows(container)
    assert [r.crm_id for r in rows] == [f"006{n:015d}" for n in range(1, 6)]
    assert {r.account_id for r in rows} == {account_id}
    assert {(r.connector, r.status, r.type, r.currency) for r in rows} == {
        ("salesforce", "open", "new", "USD")
    }
    roles = _rows(container, opportunity_contacts)
    assert len(roles) == 6
    assert {r.email: r.contact_id for r in roles} == {
        "ana@acme.example": contact_id,
        "stranger@else.example": None,
    }
    assert report.cursor_after == "2026-02-01T10:00:05+00:00"
    state = container.crm_state.get(workspace.id, "salesforce", "opportunities")
    assert (state.cursor, state.last_status, state.counts["created"]) == (
        report.cursor_after,
        "ok",
        5,
    )


def test_incremental_sync_fetches_only_changes_and_advances_the_cursor(
    container, workspace, crm_server, crm, people
):
    _world(crm)
    _sync(container, workspace, crm_server)
    crm.salesforce.objects["Opportunity"]["006000000000000003"].update(
        StageName="Negotiation/Review", Amount=9999.0, SystemModstamp="2026-02-02T08:00:00.000+0000"
    )
    crm.requests.clear()

    report = _sync(container, workspace, crm_server)

    soql = crm.calls("GET", f"{API}/query")[0].query["q"][0]
    assert "WHERE SystemModstamp >= 2026-02-01T10:00:05Z" in soql
    # the boundary second is asked again (and found unchanged), plus the one real change
    assert (report.fetched, report.updated, report.unchanged, report.created) == (2, 1, 1, 0)
    assert report.cursor_before == "2026-02-01T10:00:05+00:00"
    assert report.cursor_after == "2026-02-02T08:00:00+00:00"
    changed = next(r for r in _rows(container) if r.crm_id == "006000000000000003")
    assert (changed.stage, changed.amount) == ("Negotiation/Review", 9999.0)


def test_re_sync_changes_nothing(container, workspace, crm_server, crm, people):
    _world(crm)
    _sync(container, workspace, crm_server)
    before = [tuple(r) for r in _rows(container, opportunity_contacts)]
    seen: list[OpportunityChange] = []

    again = _sync(
        container, workspace, crm_server, hooks=[lambda conn, c: seen.append(c)], full=True
    )

    assert (again.fetched, again.created, again.updated, again.unchanged) == (5, 0, 0, 5)
    assert seen == []
    assert [tuple(r) for r in _rows(container, opportunity_contacts)] == before


def test_a_429_is_waited_out_and_counted(container, workspace, crm_server, crm, people):
    _world(crm, 2)
    crm.fail_next("GET", f"{API}/query", 429, [{"errorCode": "TOO_MANY", "message": "wait"}])

    report = _sync(container, workspace, crm_server)

    assert (report.status, report.created, report.rate_limited) == ("ok", 2, 1)
    assert (
        container.crm_state.get(workspace.id, "salesforce", "opportunities").counts["rate_limited"]
        == 1
    )


def test_a_daily_limit_stops_the_run_and_keeps_the_cursor(
    container, workspace, crm_server, crm, people
):
    _world(crm, 2)
    _sync(container, workspace, crm_server)
    crm.fail_next(
        "GET", f"{API}/query", 403, [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "x"}]
    )

    report = _sync(container, workspace, crm_server)

    assert report.status == "rate_limited" and "REQUEST_LIMIT_EXCEEDED" in report.message
    state = container.crm_state.get(workspace.id, "salesforce", "opportunities")
    assert (state.last_status, state.cursor) == ("rate_limited", "2026-02-01T10:00:02+00:00")


def test_a_bad_record_is_recorded_retried_next_run_and_resolved(
    container, workspace, crm_server, crm, people
):
    _world(crm, 3)
    crm.salesforce.objects["Opportunity"]["006000000000000002"]["Amount"] = -50.0

    first = _sync(container, workspace, crm_server)

    assert (first.created, first.failed) == (2, 1)
    (error,) = container.crm_state.errors(workspace.id)
    assert (error.record_id, error.attempts) == ("006000000000000002", 1)
    assert "amount" in error.error and "negative" in error.error
    crm.requests.clear()

    still = _sync(container, workspace, crm_server)  # not fixed yet: retried, fails again
    retry = crm.calls("GET", f"{API}/query")[0].query["q"][0]
    assert retry.endswith("WHERE Id IN ('006000000000000002')")
    assert (still.retried, still.failed) == (1, 1)
    assert container.crm_state.errors(workspace.id)[0].attempts == 2

    crm.salesforce.objects["Opportunity"]["006000000000000002"]["Amount"] = 50.0
    later = datetime(2030, 1, 1, tzinfo=UTC)  # past the doubled retry delay
    fixed = _sync(container, workspace, crm_server, now=lambda: later)
    assert (fixed.retried, fixed.created, fixed.failed) == (1, 1, 0)
    assert container.crm_state.errors(workspace.id) == []
    (resolved,) = container.crm_state.errors(workspace.id, include_resolved=True)
    assert resolved.resolved_at is not None
    with container.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(opportunities)).scalar() == 3


def test_a_lost_opportunity_hands_its_contacts_to_the_hook(
    container, workspace, crm_server, crm, people
):
    _world(crm, 2)
    contact_id, account_id = people
    seen: list[OpportunityChange] = []

    def on_opportunity_changed(conn, change: OpportunityChange) -> None:
        assert conn.execute(select(func.count()).select_from(opportunities)).scalar() >= 1
        seen.append(change)

    _sync(container, workspace, crm_server, hooks=[on_opportunity_changed])
    assert [c.became for c in seen] == ["open", "open"]
    seen.clear()
    crm.salesforce.objects["Opportunity"]["006000000000000001"].update(
        StageName="Closed Lost", IsClosed=True, SystemModstamp="2026-03-01T00:00:00.000+0000"
    )

    _sync(container, workspace, crm_server, hooks=[on_opportunity_changed])

    (change,) = seen
    assert (change.before.status, change.after.status, change.became) == ("open", "lost", "lost")
    assert change.account_id == account_id
    assert contacts_to_recycle(change) == (contact_id,)
    assert {c.email for c in change.contacts} == {"ana@acme.example", "stranger@else.example"}


def test_a_failing_hook_rolls_the_page_back(container, workspace, crm_server, crm, people):
    _world(crm, 2)

    def broken(conn, change):
        raise RuntimeError("lifecycle refused")

    with pytest.raises(RuntimeError):
        _sync(container, workspace, crm_server, hooks=[broken])
    assert _rows(container) == []
    assert (
        container.crm_state.get(workspace.id, "salesforce", "opportunities").last_status == "failed"
    )


def test_a_bulk_sync_saves_its_cursor_once_at_the_end(
    container, workspace, crm_server, crm, people
):
    _world(crm, 4)
    connector, mapping, stages = connect(crm_server, "salesforce", crm_page_size=3)
    connector.bulk_wait = 0.01

    report = sync_opportunities(
        container.crm,
        container.crm_state,
        connector,
        workspace_id=workspace.id,
        mapping=mapping,
        stages=stages,
        bulk=True,
    )

    assert (report.status, report.created, report.cursor_after) == (
        "ok",
        4,
        "2026-02-01T10:00:04+00:00",
    )
    assert len(crm.calls("GET", "/results")) == 2
    assert len(_rows(container, opportunity_contacts)) == 5


def test_hubspot_deals_sync_and_re_sync_unchanged(container, workspace, crm_server, crm, people):
    contact_id, account_id = people
    hs = crm.hubspot
    hs.put("companies", "501", domain="acme.example", name="Acme")
    hs.put("contacts", "601", email="ana@acme.example")
    for n in (1, 2):
        hs.put(
            "deals",
            str(n),
            dealname=f"D{n}",
            amount="100",
            dealstage="closedwon",
            hs_is_closed="true",
            hs_is_closed_won="true",
            closedate="2026-04-30T00:00:00.000Z",
            hs_lastmodifieddate=f"2026-02-0{n}T12:00:00.000Z",
        )
        hs.link("companies", str(n), "501")
        hs.link("contacts", str(n), "601")
    connector, mapping, stages = connect(crm_server, "hubspot")
    run = lambda: sync_opportunities(  # noqa: E731
        container.crm,
        container.crm_state,
        connector,
        workspace_id=workspace.id,
        mapping=mapping,
        stages=stages,
    )

    first, second = run(), run()

    assert (first.created, first.status) == (2, "ok")
    assert {(r.status, r.account_id, r.connector) for r in _rows(container)} == {
        ("won", account_id, "hubspot")
    }
    assert {r.contact_id for r in _rows(container, opportunity_contacts)} == {contact_id}
    assert (second.fetched, second.updated, second.unchanged) == (1, 0, 1)
    assert second.cursor_after == "2026-02-02T12:00:00+00:00"
