"""Journeys follow the buying stages: nobody jumps ahead, hot signals come late, lifecycle
content is read by customers only, and the hidden truth matches the event stream."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sim_helpers import World, people, stage_jumps

from leadloop.simulate.vocab import PURCHASE, STAGES


def test_nobody_skips_a_buying_stage(world: World) -> None:
    assert stage_jumps(world) == []


def test_people_do_progress_to_purchase(world: World) -> None:
    reached = {row["stage_reached"] for row in world.csv("truth.csv")}
    assert set(STAGES[:5]) <= reached


def test_lifecycle_content_is_read_by_customers_only(world: World) -> None:
    stage = {row["asset_id"]: STAGES.index(row["buying_stage"]) for row in world.csv("content.csv")}
    customers = {row["crm_id"] for row in world.csv("truth.csv") if row["customer"]}
    readers = {
        person
        for person, messages in people(world).items()
        if any(m.type == "page" and stage[m.properties["asset_id"]] > PURCHASE for m in messages)
    }
    assert readers and readers <= customers


def test_every_sales_ready_lead_downloaded_hot_content_then(world: World) -> None:
    hot = {row["asset_id"] for row in world.csv("content.csv") if row["signal"] == "hot"}
    downloads = {
        (m.user_id, m.timestamp)
        for m in world.events.messages
        if m.event == "Asset Downloaded" and m.properties["asset_id"] in hot
    }
    ready = [r for r in world.csv("truth.csv") if r["sales_ready"] == "true"]
    assert ready
    for row in ready:
        assert (row["user_id"], datetime.fromisoformat(row["sales_ready_at"])) in downloads, row


def test_truth_devices_and_stages_match_the_stream(world: World) -> None:
    seen: defaultdict[str, set[str]] = defaultdict(set)
    for m in world.events.messages:
        if m.type == "identify" and m.user_id:
            seen[m.user_id].add(m.anonymous_id or "")
    for row in world.csv("truth.csv"):
        if row["user_id"]:
            assert seen[row["user_id"]] <= set(row["anonymous_ids"].split(";"))
            assert row["identified_at"] and row["stage_reached"]
