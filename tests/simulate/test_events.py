"""events.ndjson: Segment messages that ingest accepts, in time order, with the noise it must
survive (broken lines, retries, leaked traits, free-mail, second devices)."""

from __future__ import annotations

from collections import Counter, defaultdict

import orjson
from sim_helpers import World

from leadloop.domain.accounts import company_domain
from leadloop.simulate.segment import MALFORMATIONS


def test_valid_lines_are_sorted_by_timestamp(world: World) -> None:
    stamps = [m.timestamp for m in world.events.messages]
    assert stamps == sorted(stamps)
    first, last = stamps[0].date(), stamps[-1].date()
    assert first >= world.summary.config.start
    assert last.isoformat() < "2025-09-01"  # six months from 2025-03-01


def test_every_line_is_an_event_or_a_counted_malformed_line(world: World) -> None:
    s = world.summary
    assert len(world.events.refused) == s.malformed
    assert len(world.events.messages) == s.events + s.duplicates
    assert len(world.events.refused) + len(world.events.messages) == s.lines


def test_malformed_share_is_close_to_the_configured_rate(world: World) -> None:
    rate = world.summary.config.malformed_rate
    share = world.summary.malformed / world.summary.lines
    assert 0.6 * rate < share < 1.4 * rate


def test_every_kind_of_malformation_occurs(world: World) -> None:
    kinds: Counter[str] = Counter()
    for line in world.events.refused:
        try:
            raw = orjson.loads(line)
        except orjson.JSONDecodeError:
            kinds["bad json"] += 1
            continue
        if "anonymousId" not in raw and "userId" not in raw:
            kinds["no ids"] += 1
        elif raw.get("type") == "track" and "event" not in raw:
            kinds["no event"] += 1
        elif raw.get("type") not in ("track", "page", "identify", "group"):
            kinds["bad type"] += 1
        elif not isinstance(raw.get("properties", {}), dict):
            kinds["bad properties"] += 1
        else:
            kinds["bad timestamp"] += 1
    assert len(kinds) == len(MALFORMATIONS), kinds


def test_duplicates_are_exact_retries(world: World) -> None:
    ids = Counter(m.message_id for m in world.events.messages)
    repeated = [i for i, n in ids.items() if n > 1]
    assert len(repeated) == world.summary.duplicates > 0


def test_the_event_vocabulary_is_all_there(world: World) -> None:
    names = Counter(m.event or m.type for m in world.events.messages)
    for name in (
        "page",
        "identify",
        "group",
        "Content Engaged",
        "Asset Downloaded",
        "Video Progress",
        "Webinar Attended",
        "Email Opened",
        "Email Clicked",
        "Form Submitted",
    ):
        assert names[name] > 0, name


def test_content_events_carry_their_asset(world: World) -> None:
    assets = {row["asset_id"]: row for row in world.csv("content.csv")}
    for m in world.events.messages:
        if m.type == "page":
            assert m.properties["asset_id"] in assets
            assert m.properties["url"] == assets[m.properties["asset_id"]]["url"]
        elif m.event == "Content Engaged":
            assert 0 <= m.properties["read_depth"] <= 100
            assert m.properties["active_seconds"] > 0 and m.properties["sections_reached"] >= 1
        elif m.event == "Video Progress":
            assert m.properties["percent"] in (25, 50, 75, 100)


def test_forms_identify_with_allowed_traits_and_sometimes_leak_forbidden_ones(world: World) -> None:
    identifies = [m for m in world.events.messages if m.type == "identify"]
    assert all(m.anonymous_id and m.user_id and "email" in m.traits for m in identifies)
    leaked = [m for m in identifies if m.dropped_traits]
    assert 0 < len(leaked) < 0.25 * len(identifies)
    assert {t for m in leaked for t in m.dropped_traits} == {"company", "phone", "title"}


def test_free_mail_people_and_group_calls_exist(world: World) -> None:
    emails = [m.traits["email"] for m in world.events.messages if m.type == "identify"]
    free = [e for e in emails if company_domain(e) is None]
    assert 0 < len(free) < 0.2 * len(emails)
    groups = [m for m in world.events.messages if m.type == "group"]
    assert groups and all(m.group_id and "website" in m.traits for m in groups)


def test_some_people_use_a_second_device(world: World) -> None:
    devices: defaultdict[str, set[str]] = defaultdict(set)
    for m in world.events.messages:
        if m.type == "identify":
            assert m.user_id is not None and m.anonymous_id is not None
            devices[m.user_id].add(m.anonymous_id)
    two = sum(len(d) > 1 for d in devices.values())
    assert 0.03 * len(devices) < two < 0.3 * len(devices)


def test_most_visitors_never_identify(world: World) -> None:
    anonymous = {m.anonymous_id for m in world.events.messages if m.anonymous_id}
    identified = {m.anonymous_id for m in world.events.messages if m.type == "identify"}
    assert len(identified) < 0.5 * len(anonymous)


def test_email_events_come_from_the_esp_with_a_campaign(world: World) -> None:
    emails = [m for m in world.events.messages if m.event in ("Email Opened", "Email Clicked")]
    assert emails and all(m.user_id and m.anonymous_id is None for m in emails)
    assert all(m.properties["campaign"] for m in emails)
