"""The Segment message parser: validation, normalisation, clock-skew correction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from leadloop.domain.messages import (
    BatchEnvelope,
    corrected_timestamp,
    parse_message,
    parse_timestamp,
)
from leadloop.errors import InvalidMessageError

RECEIVED = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)


def envelope(**kwargs: object) -> BatchEnvelope:
    return BatchEnvelope(RECEIVED, **kwargs)  # type: ignore[arg-type]


def test_skew_is_corrected_from_the_device_clock_difference() -> None:
    # The device clock runs 3 days fast; it queued the event 90 s before sending it.
    sent = datetime(2026, 3, 13, 12, 0, 0, tzinfo=UTC)
    original = sent - timedelta(seconds=90)
    msg = parse_message(
        {
            "type": "track",
            "event": "Video Watched",
            "anonymousId": "a1",
            "timestamp": original.isoformat(),
            "sentAt": sent.isoformat(),
        },
        envelope(),
    )
    assert msg.timestamp == RECEIVED - timedelta(seconds=90)
    assert msg.received_at == RECEIVED
    assert msg.original_timestamp == original
    stored = datetime.fromisoformat(msg.payload()["originalTimestamp"])
    assert stored == original


def test_batch_level_sent_at_applies_to_items_without_their_own() -> None:
    sent = datetime(2026, 3, 10, 8, 0, 0, tzinfo=UTC)  # device 4 h slow
    msg = parse_message(
        {"type": "page", "anonymousId": "a1", "timestamp": "2026-03-10T07:59:00Z"},
        envelope(sent_at=sent),
    )
    assert msg.timestamp == RECEIVED - timedelta(minutes=1)


def test_item_sent_at_wins_over_the_batch_one() -> None:
    msg = parse_message(
        {
            "type": "page",
            "anonymousId": "a1",
            "timestamp": "2026-03-10T07:59:00Z",
            "sentAt": "2026-03-10T08:00:30Z",
        },
        envelope(sent_at=datetime(2026, 3, 10, 8, 0, 0, tzinfo=UTC)),
    )
    assert msg.timestamp == RECEIVED - timedelta(seconds=90)


def test_timestamp_without_sent_at_is_kept_and_absent_timestamp_is_received_at() -> None:
    kept = parse_message(
        {"type": "page", "anonymousId": "a", "timestamp": "2026-03-01T00:00:00+02:00"},
        envelope(),
    )
    assert kept.timestamp == datetime(2026, 2, 28, 22, 0, tzinfo=UTC)
    stamped = parse_message({"type": "page", "anonymousId": "a"}, envelope())
    assert stamped.timestamp == RECEIVED
    assert stamped.original_timestamp is None


def test_corrected_timestamp_arithmetic() -> None:
    received = datetime(2026, 1, 1, tzinfo=UTC)
    sent = datetime(2020, 1, 1, tzinfo=UTC)
    original = sent - timedelta(hours=5)
    assert corrected_timestamp(received, sent, original) == received - timedelta(hours=5)
    assert corrected_timestamp(received, None, original) == original
    assert corrected_timestamp(received, sent, None) == received


def test_parse_timestamp_accepts_offsets_and_naive_utc() -> None:
    assert parse_timestamp("2026-01-02T03:04:05+01:00", "t") == datetime(
        2026, 1, 2, 2, 4, 5, tzinfo=UTC
    )
    assert parse_timestamp("2026-01-02T03:04:05", "t") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_timestamp(None, "t") is None
    parsed = parse_timestamp("2026-01-02T03:04:05.123456-05:30", "t")
    assert parsed is not None and parsed.tzinfo == UTC


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01T00:00:00Z", 1700000000, ["x"]])
def test_parse_timestamp_rejects_with_the_field_name(bad: object) -> None:
    with pytest.raises(InvalidMessageError) as info:
        parse_timestamp(bad, "timestamp")
    assert info.value.detail["field"] == "timestamp"
    assert "timestamp" in info.value.message


def test_batch_context_and_integrations_are_merged_into_items_item_wins() -> None:
    msg = parse_message(
        {
            "type": "track",
            "event": "Signed Up",
            "userId": "u1",
            "context": {"locale": "pt-BR"},
            "integrations": {"Salesforce": False},
        },
        envelope(
            context={"locale": "en-US", "library": {"name": "batcher"}},
            integrations={"All": True, "Salesforce": True},
        ),
    )
    assert msg.context["locale"] == "pt-BR"
    assert msg.context["library"] == {"name": "batcher"}
    assert msg.integrations == {"All": True, "Salesforce": False}


def test_ip_is_filled_from_the_connection_unless_the_client_sent_one() -> None:
    filled = parse_message({"type": "page", "anonymousId": "a"}, envelope(ip="203.0.113.9"))
    assert filled.context["ip"] == "203.0.113.9"
    own = parse_message(
        {"type": "page", "anonymousId": "a", "context": {"ip": "198.51.100.1"}},
        envelope(ip="203.0.113.9"),
    )
    assert own.context["ip"] == "198.51.100.1"


def test_message_id_is_assigned_when_absent_and_kept_when_present() -> None:
    ids = iter(["generated-1", "generated-2"])
    assigned = parse_message({"type": "page", "anonymousId": "a"}, envelope(), lambda: next(ids))
    assert assigned.message_id == "generated-1"
    empty = parse_message(
        {"type": "page", "anonymousId": "a", "messageId": ""}, envelope(), lambda: next(ids)
    )
    assert empty.message_id == "generated-2"
    kept = parse_message({"type": "page", "anonymousId": "a", "messageId": "m-9"}, envelope())
    assert kept.message_id == "m-9"
    default = parse_message({"type": "page", "anonymousId": "a"}, envelope())
    assert len(default.message_id) == 36  # a UUID


def test_numeric_ids_become_strings() -> None:
    msg = parse_message({"type": "identify", "userId": 42, "anonymousId": 7}, envelope())
    assert (msg.user_id, msg.anonymous_id) == ("42", "7")
    assert msg.identity_key == ("user", "42")


def test_implied_type_of_single_message_endpoints_wins() -> None:
    msg = parse_message(
        {"type": "identify", "event": "Clicked", "anonymousId": "a"},
        envelope(implied_type="track"),
    )
    assert msg.type == "track"
    assert msg.event == "Clicked"


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ([1, 2], None, "JSON object"),
        ({"type": "click", "anonymousId": "a"}, "type", "type must be one of"),
        ({"anonymousId": "a"}, "type", "type must be one of"),
        ({"type": "track", "event": "x"}, "userId", "userId or anonymousId"),
        ({"type": "track", "anonymousId": "a"}, "event", "event name"),
        ({"type": "track", "anonymousId": "a", "event": "   "}, "event", "event name"),
        ({"type": "alias", "userId": "u"}, "previousId", "previousId and userId"),
        ({"type": "group", "userId": "u"}, "groupId", "groupId"),
        ({"type": "page", "anonymousId": True}, "anonymousId", "must be a string"),
        ({"type": "page", "anonymousId": 1.5}, "anonymousId", "must be a string"),
        ({"type": "page", "userId": "u" * 256}, "userId", "longer than 255"),
        ({"type": "page", "userId": "u\x00"}, "userId", "NUL"),
        ({"type": "track", "userId": "u", "event": "e" * 256}, "event", "longer than 255"),
        ({"type": "track", "userId": "u", "event": "e\x00"}, "event", "NUL"),
        ({"type": "page", "userId": "u", "name": "n" * 256}, "name", "longer than 255"),
        ({"type": "identify", "userId": "u", "traits": {"ph\x00ne": 1}}, "traits", "NUL"),
        ({"type": "page", "anonymousId": "a", "properties": [1]}, "properties", "JSON object"),
        ({"type": "identify", "userId": "u", "traits": "x"}, "traits", "JSON object"),
        ({"type": "page", "anonymousId": "a", "timestamp": "soon"}, "timestamp", "ISO-8601"),
        (
            {"type": "page", "anonymousId": "a", "timestamp": "0001-01-01T00:00:00+01:00"},
            "timestamp",
            "out of range",
        ),
        (
            {
                "type": "page",
                "anonymousId": "a",
                "timestamp": "0001-01-01T00:00:00Z",
                "sentAt": "9999-01-01T00:00:00Z",
            },
            "timestamp",
            "too far apart",
        ),
        (
            {"type": "identify", "userId": "u", "context": {"traits": "phone 555 0100"}},
            "context.traits",
            "JSON object",
        ),
        (
            {"type": "identify", "userId": "u", "context": {"traits": [["phone", "1"]]}},
            "context.traits",
            "JSON object",
        ),
    ],
)
def test_invalid_messages_say_what_is_wrong(raw: object, field: str | None, words: str) -> None:
    with pytest.raises(InvalidMessageError) as info:
        parse_message(raw, envelope())
    assert words in info.value.message
    assert info.value.detail.get("field") == field


def test_alias_needs_no_anonymous_id_and_keeps_previous_id() -> None:
    msg = parse_message({"type": "alias", "previousId": "anon-1", "userId": "u1"}, envelope())
    assert msg.previous_id == "anon-1"
    assert msg.payload()["previousId"] == "anon-1"


def test_identify_keeps_only_allowed_traits_and_names_the_rest() -> None:
    msg = parse_message(
        {
            "type": "identify",
            "userId": "u1",
            "traits": {
                "email": "ana@acme.example",
                "name": "Ana",
                "subscribe": True,
                "topic": "network security",
                "phone": "+1 555 0100",
                "title": "CIO",
                "company": "Acme",
                "budget": 250000,
            },
            "context": {"traits": {"address": "1 Main St", "firstName": "Ana"}},
        },
        envelope(),
    )
    assert msg.traits == {
        "email": "ana@acme.example",
        "name": "Ana",
        "subscribe": True,
        "topic": "network security",
    }
    assert msg.context["traits"] == {"firstName": "Ana"}
    assert msg.dropped_traits == ("address", "budget", "company", "phone", "title")
    stored = repr(msg.payload())
    for secret in ("555 0100", "CIO", "Acme", "250000", "1 Main St"):
        assert secret not in stored


def test_null_context_traits_are_as_good_as_none() -> None:
    msg = parse_message(
        {"type": "identify", "userId": "u", "context": {"traits": None, "locale": "en"}},
        envelope(),
    )
    assert msg.context == {"locale": "en"}


def test_context_traits_with_nothing_allowed_disappear() -> None:
    msg = parse_message(
        {"type": "track", "event": "E", "userId": "u", "context": {"traits": {"phone": "1"}}},
        envelope(),
    )
    assert "traits" not in msg.context
    assert msg.dropped_traits == ("phone",)


def test_group_keeps_company_traits_but_not_people_traits() -> None:
    msg = parse_message(
        {
            "type": "group",
            "userId": "u1",
            "groupId": "g-1",
            "traits": {"name": "Acme", "website": "https://acme.example", "ceo_phone": "1"},
        },
        envelope(),
    )
    assert msg.traits == {"name": "Acme", "website": "https://acme.example"}
    assert msg.dropped_traits == ("ceo_phone",)


def test_payload_round_trips_what_is_kept() -> None:
    sent = datetime(2026, 3, 10, 11, 0, tzinfo=timezone(timedelta(hours=-3)))
    msg = parse_message(
        {
            "type": "group",
            "anonymousId": "a",
            "groupId": "g",
            "properties": {"x": 1},
            "traits": {"name": "Acme"},
            "sentAt": sent.isoformat(),
            "timestamp": sent.isoformat(),
        },
        envelope(),
    )
    body = msg.payload()
    assert body["properties"] == {"x": 1}
    assert body["traits"] == {"name": "Acme"}
    assert body["groupId"] == "g"
    assert datetime.fromisoformat(body["sentAt"]) == datetime(2026, 3, 10, 14, tzinfo=UTC)
    assert msg.timestamp == RECEIVED
