"""The content influence report over content tagged to each sale (docs/metrics.md)."""

from __future__ import annotations

import pytest

from leadloop.errors import ValidationError
from leadloop.services.content_influence import influence_report
from sale_helpers import influence_world


def _cells(rows):
    return [(r.period, r.asset_id, r.opportunities, r.pipeline, r.won_deals, r.won_revenue)
            for r in rows]  # fmt: skip


def test_every_asset_gets_the_whole_of_each_deal_it_touched(container, workspace):
    influence_world(container, workspace.id)

    rows = influence_report(container.engine, workspace.id)

    assert _cells(rows) == [
        ("all", "wp-need", 3, 16500.0, 1, 10000.0),
        ("all", "price-list", 2, 6500.0, 0, 0.0),
        ("all", "vb-fleet", 2, 6500.0, 0, 0.0),
    ]
    assert (rows[0].title, rows[0].buying_stage, rows[0].format) == (
        "The cost of downtime", "awareness", "white paper",
    )  # fmt: skip


def test_by_quarter_pipeline_follows_creation_and_revenue_the_close(container, workspace):
    influence_world(container, workspace.id)

    rows = influence_report(container.engine, workspace.id, grain="quarter")

    assert _cells(rows) == [
        ("2026-Q1", "wp-need", 1, 10000.0, 1, 10000.0),
        ("2026-Q2", "price-list", 2, 6500.0, 0, 0.0),
        ("2026-Q2", "vb-fleet", 2, 6500.0, 0, 0.0),
        ("2026-Q2", "wp-need", 2, 6500.0, 0, 0.0),
    ]


def test_stage_and_format_filters_and_one_currency(container, workspace):
    crm = influence_world(container, workspace.id)
    engine, ws = container.engine, workspace.id

    assert [r.asset_id for r in influence_report(engine, ws, stage="purchase")] == ["price-list"]
    assert [r.asset_id for r in influence_report(engine, ws, fmt="video book")] == ["vb-fleet"]
    crm.deal("D9", "Closed Won", "ana@acme.example", currency="EUR")
    crm.sync()
    with pytest.raises(ValidationError, match=r"several currencies \(EUR, USD\)"):
        influence_report(engine, ws)
    eur = influence_report(engine, ws, currency="eur")
    assert {r.opportunities for r in eur} == {1}
