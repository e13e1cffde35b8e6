"""The CSV side: catalog coverage, accounts, CRM contacts, costs, truth."""

from __future__ import annotations

from collections import Counter

from sim_helpers import World

from leadloop.simulate import writers
from leadloop.simulate.costs import PROGRAMS
from leadloop.simulate.vocab import CIO_ARCHETYPES, STAGES, TOPICS


def test_every_file_has_its_columns(world: World) -> None:
    expected = {
        "content.csv": writers.CONTENT_COLUMNS,
        "accounts.csv": writers.ACCOUNT_COLUMNS,
        "contacts.csv": writers.CONTACT_COLUMNS,
        "costs.csv": writers.COST_COLUMNS,
        "opportunities.csv": writers.OPPORTUNITY_COLUMNS,
        "truth.csv": writers.TRUTH_COLUMNS,
    }
    for name, columns in expected.items():
        header = (world.path / name).read_text(encoding="utf-8").split("\n", 1)[0]
        assert header.split(",") == list(columns), name


def test_catalog_covers_every_stage_and_topic_with_varied_formats(world: World) -> None:
    rows = world.csv("content.csv")
    cells = {(r["buying_stage"], t) for r in rows for t in r["topics"].split(";")}
    assert cells >= {(s, t) for s in STAGES for t in TOPICS}
    assert len({r["format"] for r in rows}) >= 20
    assert len({r["url"] for r in rows}) == len(rows) == len({r["asset_id"] for r in rows})


def test_hot_signal_marks_price_lists_and_coverage_maps_only(world: World) -> None:
    rows = world.csv("content.csv")
    hot = {r["format"] for r in rows if r["signal"] == "hot"}
    assert hot == {"price list", "coverage map"}
    assert all(r["buying_stage"] == "purchase" for r in rows if r["signal"])


def test_accounts_are_unique_with_plausible_segments(world: World) -> None:
    rows = world.csv("accounts.csv")
    assert len({r["domain"] for r in rows}) == len(rows) == len({r["group_id"] for r in rows})
    segments = Counter(r["segment"] for r in rows)
    assert segments["SMB"] > segments["mid-market"] > segments["enterprise"] > 0
    for r in rows:
        employees = int(r["employees"])
        assert (r["segment"] == "SMB") == (employees < 200)


def test_contacts_are_unique_and_cover_the_personas(world: World) -> None:
    rows = world.csv("contacts.csv")
    assert len(rows) == world.summary.config.contacts
    assert len({r["email"] for r in rows}) == len(rows) == len({r["crm_id"] for r in rows})
    domains = {r["domain"] for r in world.csv("accounts.csv")}
    assert all(r["account_domain"] in domains for r in rows)
    personas = Counter(r["persona"] for r in rows)
    assert set(CIO_ARCHETYPES) <= set(personas) and len(personas) > len(CIO_ARCHETYPES)


def test_costs_cover_every_program_every_month(world: World) -> None:
    rows = world.csv("costs.csv")
    months = sorted({r["month"] for r in rows})
    assert len(months) == world.summary.config.months
    assert Counter(r["month"] for r in rows) == {m: len(PROGRAMS) for m in months}
    assert {r["kind"] for r in rows} == {"marketing", "sales"}
    assert all(float(r["amount"]) >= 0 for r in rows)
    spend = sum(float(r["amount"]) for r in rows)
    assert 0.05 < spend / world.summary.won_amount < 2.0  # CPOD a CMO would believe


def test_truth_has_one_row_per_contact(world: World) -> None:
    rows = world.csv("truth.csv")
    assert [r["email"] for r in rows] == [r["email"] for r in world.csv("contacts.csv")]
    assert sum(r["user_id"] != "" for r in rows) == world.summary.identified
    assert sum(r["sales_ready"] == "true" for r in rows) == world.summary.sales_ready
    assert all(r["web_active"] == "true" for r in rows if r["anonymous_ids"])
