"""The closing-the-loop hook in a real sync: simple-salesforce → local server → lifecycle."""

from __future__ import annotations

from crm_helpers import connect, sf_opportunity, sf_role
from sqlalchemy import select

from leadloop.services.crm_sync import sync_opportunities
from leadloop.store.sale_content import sale_tags
from leadloop.store.tables import opportunities
from sale_helpers import consume, day, people


def _sync(container, workspace, crm_server):
    connector, mapping, stages = connect(crm_server, "salesforce")
    report = sync_opportunities(
        container.crm, container.crm_state, connector, workspace_id=workspace.id,
        mapping=mapping, stages=stages, hooks=container.opportunity_hooks,
    )  # fmt: skip
    container.sale_content.tag_pending(workspace.id)
    return report


def test_a_salesforce_sync_moves_the_lead_and_tags_what_it_read(
    container, workspace, crm_server, crm
):
    ids = people(container, workspace.id, "ana@acme.example")
    ana = ids["ana@acme.example"]
    consume(container, workspace.id, ana, day(30), "track", "Asset Downloaded", asset_id="map")
    consume(container, workspace.id, ana, day(95), "page", None, asset_id="after-close")
    crm.salesforce.put("Opportunity", **sf_opportunity(1))
    crm.salesforce.put("OpportunityContactRole", **sf_role(1, "ana@acme.example"))

    first = _sync(container, workspace, crm_server)
    assert container.leads.show(workspace.id, ana).state == "opportunity"

    crm.salesforce.put(
        "Opportunity",
        **sf_opportunity(1, StageName="Closed Lost", IsClosed=True,
                         SystemModstamp="2026-04-01T10:00:00.000+0000"),
    )  # fmt: skip
    second = _sync(container, workspace, crm_server)
    third = _sync(container, workspace, crm_server)

    assert (first.created, second.updated, third.updated) == (1, 1, 0)
    view = container.leads.show(workspace.id, ana)
    assert (view.state, view.cycle) == ("recycled", 2)
    assert {t.actor.id for t in view.history if t.actor.kind == "crm"} == {"salesforce"}
    with container.engine.connect() as conn:
        opp = conn.execute(select(opportunities.c.id)).scalar_one()
    tags = sale_tags(container.engine, workspace.id, opp)
    assert [(t.asset_id, t.grade, t.first_at) for t in tags] == [("map", "downloaded", day(30))]
