"""Content tagged as part of the sale, on a hand-written timeline of one account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from leadloop.domain.sale_content import ACCOUNT, CONTACT_ROLE, SaleConsumption
from leadloop.services.sale_content import SaleContentTagger
from leadloop.store.sale_content import sale_tags
from leadloop.store.tables import content as content_table
from leadloop.store.tables import opportunities, sale_content, sale_content_queue
from sale_helpers import MemoryCrm, consume, day, people

ANA, BO, CY = "ana@acme.example", "bo@acme.example", "cy@acme.example"
OTHER = "zed@other.example"


def _opp(container, crm_id="D1"):
    with container.engine.connect() as conn:
        return conn.execute(
            select(opportunities.c.id).where(opportunities.c.crm_id == crm_id)
        ).scalar_one()


def _timeline(container, ws, ids):
    """Ana (contact role) and Bo (same account) read before the 31 March close; after it too."""
    ana, bo, cy = ids[ANA], ids[BO], ids[CY]
    consume(container, ws, ana, day(20), "page", None, asset_id="wp-need", url="https://x/wp")
    consume(container, ws, ana, day(20, 10), "track", "Content Engaged", asset_id="wp-need",
            read_depth=45, sections_reached=1)  # fmt: skip
    consume(container, ws, ana, day(35), "page", None, asset_id="wp-need")
    consume(container, ws, ana, day(35, 10), "track", "Content Engaged", asset_id="wp-need",
            read_depth=72, sections_reached=4)  # fmt: skip
    consume(container, ws, ana, day(60), "track", "Asset Downloaded", asset_id="coverage-map")
    consume(container, ws, bo, day(40), "track", "Video Progress", asset_id="vb-fleet", percent=50)
    consume(container, ws, bo, day(41), "track", "Video Progress", asset_id="vb-fleet", percent=100)
    consume(container, ws, bo, day(45), "track", "Webinar Attended", asset_id="web-roi", percent=30)
    # after the close date (31 March = day 90): onboarding, not part of the sale
    consume(container, ws, ana, day(91), "page", None, asset_id="onboarding-guide")
    consume(container, ws, bo, day(100), "track", "Asset Downloaded", asset_id="vb-fleet")
    # a page view that carries only its url, with campaign parameters: matched like profiling
    consume(container, ws, cy, day(50), "page", None,
            url="https://acme.example/price-list/?utm_source=mail")  # fmt: skip


def test_only_what_the_buying_group_consumed_before_the_close_is_tagged(container, workspace):
    ws = workspace.id
    ids = people(container, ws, ANA, BO, CY)
    stranger = people(container, ws, OTHER, on_account=False)[OTHER]
    with container.engine.begin() as conn:
        conn.execute(
            content_table.insert().values(
                workspace_id=ws, asset_id="price-list", url="https://acme.example/price-list",
                title="Price list", created_at=day(1), updated_at=day(1),
            )
        )  # fmt: skip
    _timeline(container, ws, ids)
    consume(container, ws, stranger, day(30), "page", None, asset_id="wp-need")
    crm = MemoryCrm(container, ws)
    crm.deal("D1", "Closed Won", ANA)

    crm.sync()

    tags = sale_tags(container.engine, ws, _opp(container))
    assert tags == [
        SaleConsumption("coverage-map", ids[ANA], CONTACT_ROLE, day(60), day(60), "downloaded",
                        0, 1),
        SaleConsumption("price-list", ids[CY], ACCOUNT, day(50), day(50), "glance", 1, 1),
        SaleConsumption("vb-fleet", ids[BO], ACCOUNT, day(40), day(41), "completed", 0, 2),
        SaleConsumption("web-roi", ids[BO], ACCOUNT, day(45), day(45), "read", 0, 1),
        SaleConsumption("wp-need", ids[ANA], CONTACT_ROLE, day(20), day(35, 10), "deep_read",
                        2, 4),
    ]  # fmt: skip


def test_tagging_again_changes_nothing_and_late_events_wait_for_rebuild(container, workspace):
    ws = workspace.id
    ids = people(container, ws, ANA, BO, CY)
    _timeline(container, ws, ids)
    crm = MemoryCrm(container, ws)
    crm.deal("D1", "Closed Won", ANA)
    crm.sync()
    first = sale_tags(container.engine, ws, _opp(container))

    crm.sync(full=True)
    report = container.sale_content.tag_pending(ws)

    assert report.opportunities == 0
    assert sale_tags(container.engine, ws, _opp(container)) == first
    consume(container, ws, ids[CY], day(70), "track", "Asset Downloaded", asset_id="late-one")
    rebuilt = container.sale_content.rebuild(ws)
    assert (rebuilt.queued, rebuilt.opportunities) == (1, 1)
    assert len(sale_tags(container.engine, ws, _opp(container))) == len(first) + 1
    with container.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(sale_content_queue)).scalar() == 0


def test_an_open_deal_counts_up_to_now_within_the_lookback(container, workspace):
    ws = workspace.id
    ids = people(container, ws, ANA, BO, CY)
    _timeline(container, ws, ids)
    crm = MemoryCrm(container, ws)
    crm.deal("D1", "Proposal", ANA)
    crm.sync()  # the hook queues; this tagger decides "now" and the lookback
    now = datetime(2026, 4, 5, tzinfo=UTC)  # day 95: after the onboarding read on day 91
    tagger = SaleContentTagger(container.engine, lookback_days=60, now=lambda: now)

    tagger.rebuild(ws)

    tags = sale_tags(container.engine, ws, _opp(container))
    assert {t.asset_id for t in tags} == {"coverage-map", "vb-fleet", "web-roi", "wp-need",
                                          "onboarding-guide"}  # fmt: skip
    wp = next(t for t in tags if t.asset_id == "wp-need")
    assert wp.first_at == day(35) and wp.first_at >= now - timedelta(days=60)  # day 20 is out


def test_a_deal_without_people_gets_no_tags_and_leaves_the_queue(container, workspace):
    ws = workspace.id
    crm = MemoryCrm(container, ws)
    crm.deal("D1", "Closed Won", account_domain="nobody.example")

    crm.sync()

    with container.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(sale_content)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(sale_content_queue)).scalar() == 0
