"""Opportunities move the lead lifecycle: open → opportunity, won, lost → recycled, once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from leadloop.services.imports import import_opportunities
from leadloop.services.qualify import qualify
from leadloop.store.tables import lead_transitions, sale_lead_moves
from lifecycle_helpers import activate, add_team, hot, put_in_state
from sale_helpers import MemoryCrm, people

ANA, BO, CY = "ana@acme.example", "bo@acme.example", "cy@acme.example"


def _history(container, ws, contact):
    view = container.leads.show(ws, contact)
    return [(t.from_state, t.to_state, t.cycle, t.actor.kind, t.actor.id) for t in view.history]


def _transitions(container):
    with container.engine.connect() as conn:
        return conn.execute(select(lead_transitions).order_by(lead_transitions.c.id)).all()


def test_an_open_opportunity_moves_every_contact_role_with_implied_steps(container, workspace):
    ids = people(container, workspace.id, ANA, BO)
    crm = MemoryCrm(container, workspace.id)
    crm.deal("D1", "Proposal", ANA, BO)

    crm.sync()

    for email in (ANA, BO):
        assert _history(container, workspace.id, ids[email]) == [
            (None, "known", 1, "system", None),
            ("known", "engaged", 1, "crm", "memory"),
            ("engaged", "sales_ready", 1, "crm", "memory"),
            ("sales_ready", "accepted", 1, "crm", "memory"),
            ("accepted", "opportunity", 1, "crm", "memory"),
        ]
    last = container.leads.show(workspace.id, ids[ANA]).history[-1]
    assert last.reason == "opportunity D1 (Deal D1) opened in memory"
    assert last.at == datetime(2026, 2, 1, 10, tzinfo=UTC)  # the deal's creation
    implied = container.leads.show(workspace.id, ids[ANA]).history[1]
    assert implied.reason == "implied on the way to opportunity"


def test_won_marks_won_at_the_close_date(container, workspace):
    ids = people(container, workspace.id, ANA)
    crm = MemoryCrm(container, workspace.id)
    crm.deal("D1", "Proposal", ANA)
    crm.sync()

    crm.deal("D1", "Closed Won", ANA)
    report = crm.sync()

    assert report.updated == 1
    view = container.leads.show(workspace.id, ids[ANA])
    assert view.state == "won"
    assert (view.history[-1].from_state, view.history[-1].at) == (
        "opportunity",
        datetime(2026, 3, 31, tzinfo=UTC),
    )


def test_a_lost_opportunity_recycles_its_contacts_who_can_qualify_again(container, workspace):
    ids = people(container, workspace.id, ANA, BO)
    add_team(container, workspace.id)
    crm = MemoryCrm(container, workspace.id)
    crm.deal("D1", "Proposal", ANA, BO)
    crm.sync()

    crm.deal("D1", "Closed Lost", ANA, BO)
    crm.sync()

    for email in (ANA, BO):
        view = container.leads.show(workspace.id, ids[email])
        assert (view.state, view.cycle) == ("recycled", 2)
        assert [t.to_state for t in view.history[-2:]] == ["lost", "recycled"]
        assert view.history[-1].reason == "recycled into nurture after lost"
    # a new cycle: the recycled lead qualifies again under the agreed rule
    activate(container, workspace.id)
    rules = container.rulebook.active_rules(workspace.id)
    result = qualify(container.lead_store, workspace.id, [hot(ids[ANA], day=120)], rules)
    assert (result[0].moved, result[0].state, result[0].cycle) == (True, "sales_ready", 2)


def test_an_opportunity_on_the_account_moves_its_sales_ready_and_accepted_leads(
    container, workspace
):
    ids = people(container, workspace.id, ANA, BO, CY)
    put_in_state(container, workspace.id, ids[ANA], "sales_ready")
    put_in_state(container, workspace.id, ids[BO], "accepted")
    crm = MemoryCrm(container, workspace.id)
    crm.deal("D1", "Proposal")  # no contact roles at all: the account decides

    crm.sync()

    assert container.leads.show(workspace.id, ids[ANA]).state == "opportunity"
    assert container.leads.show(workspace.id, ids[BO]).state == "opportunity"
    assert container.leads.show(workspace.id, ids[CY]).state == "known"  # never handed over

    crm.deal("D1", "Closed Won")
    crm.sync()
    assert container.leads.show(workspace.id, ids[ANA]).state == "won"
    assert container.leads.show(workspace.id, ids[BO]).state == "won"


def test_re_sync_and_a_changed_amount_move_nobody_twice(container, workspace):
    ids = people(container, workspace.id, ANA)
    crm = MemoryCrm(container, workspace.id)
    crm.deal("D1", "Closed Lost", ANA)
    crm.sync()
    before = _transitions(container)

    again = crm.sync(full=True)
    crm.deal("D1", "Closed Lost", ANA, amount=99.0)
    changed = crm.sync()

    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert changed.updated == 1
    assert _transitions(container) == before
    view = container.leads.show(workspace.id, ids[ANA])
    assert (view.state, view.cycle) == ("recycled", 2)
    assert [t.to_state for t in view.history] == [
        "known", "engaged", "sales_ready", "accepted", "opportunity", "lost", "recycled",
    ]  # fmt: skip


def test_a_lost_deal_keeps_a_contact_who_is_on_another_open_deal(container, workspace):
    ids = people(container, workspace.id, ANA)
    crm = MemoryCrm(container, workspace.id)
    crm.deal("D1", "Proposal", ANA)
    crm.deal("D2", "Proposal", ANA)
    crm.sync()

    crm.deal("D1", "Closed Lost", ANA)
    crm.sync()
    assert container.leads.show(workspace.id, ids[ANA]).state == "opportunity"

    crm.deal("D2", "Closed Lost", ANA)
    crm.sync()
    assert container.leads.show(workspace.id, ids[ANA]).state == "recycled"
    with container.engine.connect() as conn:
        moves = conn.execute(
            select(
                sale_lead_moves.c.status, sale_lead_moves.c.outcome, sale_lead_moves.c.detail
            ).order_by(sale_lead_moves.c.id)
        ).all()
    assert [tuple(m) for m in moves] == [
        ("open", "moved", None),
        ("open", "unchanged", None),
        ("lost", "skipped", "the contact is on another open opportunity"),
        ("lost", "moved", None),
    ]


def test_a_won_customer_is_final_and_a_rejected_lead_starts_a_new_cycle(container, workspace):
    ids = people(container, workspace.id, ANA, BO)
    put_in_state(container, workspace.id, ids[ANA], "won")
    put_in_state(container, workspace.id, ids[BO], "rejected")
    crm = MemoryCrm(container, workspace.id)
    crm.deal("D1", "Proposal", ANA, BO)

    crm.sync()

    assert container.leads.show(workspace.id, ids[ANA]).state == "won"
    bo = container.leads.show(workspace.id, ids[BO])
    assert (bo.state, bo.cycle) == ("opportunity", 2)
    assert [t.to_state for t in bo.history][-5:] == [
        "rejected", "recycled", "sales_ready", "accepted", "opportunity",
    ]  # fmt: skip


def test_an_imported_file_moves_the_account_leads_once(container, workspace, tmp_path):
    ids = people(container, workspace.id, ANA)
    put_in_state(container, workspace.id, ids[ANA], "accepted")
    path = tmp_path / "deals.csv"
    path.write_text(
        "Deal ID,Deal Name,Stage,Value,Close Date,Company Domain\n"
        "D1,Fleet renewal,Closed Won,12000,2026-01-15,acme.example\n"
    )

    def run():
        report = import_opportunities(
            container.crm, workspace_id=workspace.id, path=path, source="pipedrive",
            hooks=container.opportunity_hooks,
        )  # fmt: skip
        container.sale_content.tag_pending(workspace.id)
        return report

    run()
    before = _transitions(container)
    second = run()

    assert container.leads.show(workspace.id, ids[ANA]).state == "won"
    actors = {(t.actor_kind, t.actor_id) for t in before if t.actor_kind == "crm"}
    assert actors == {("crm", "pipedrive")}
    assert second.stored == 0 and _transitions(container) == before
