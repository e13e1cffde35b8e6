"""``parse_body`` splits a batch as it always did: same messages, same rejects, same reasons
and raw text, with the one-pass plain parser and the byte-length size check in the loop."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from leadloop.domain.messages import BatchEnvelope, parse_message
from leadloop.errors import InvalidMessageError
from leadloop.services.tracking import Limits, ParsedRequest, parse_body
from leadloop.store.ingest import Rejected

RECEIVED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
TEXT = st.text(alphabet=st.sampled_from("aé€𝄞\x00 "), max_size=30)
MESSAGE = st.fixed_dictionaries(
    {"type": st.sampled_from(["track", "page", "identify", "x"]), "anonymousId": TEXT},
    optional={
        "event": TEXT,
        "name": TEXT,
        "messageId": TEXT,
        "properties": st.dictionaries(TEXT, TEXT | st.integers(), max_size=3),
        "traits": st.dictionaries(st.sampled_from(["email", "phone"]), TEXT),
    },
)
ITEMS = st.lists(MESSAGE | st.integers() | TEXT, max_size=8)


def reference(items: list[Any], limits: Limits) -> ParsedRequest:
    """The loop as it was: compact JSON text per item, measured in characters."""
    out = ParsedRequest(write_key="k")
    envelope = BatchEnvelope(RECEIVED, None, None, None, None, "203.0.113.7")
    for index, item in enumerate(items):
        try:
            raw = orjson.dumps(item).decode()
        except TypeError:
            raw = repr(item)
        if len(raw) > limits.max_message_bytes:
            reason = f"message {index} is {len(raw)} bytes; the limit is {limits.max_message_bytes}"
            out.rejected.append(Rejected("api:/v1/batch", reason, raw[:2000], index))
            continue
        try:
            out.messages.append(parse_message(item, envelope, new_id=lambda: "id"))
        except InvalidMessageError as exc:
            reason = f"message {index}: {exc.message}"
            out.rejected.append(Rejected("api:/v1/batch", reason, raw, index))
    out.accepted = len(out.messages)
    return out


@settings(max_examples=300, deadline=None)
@given(items=ITEMS, limit=st.integers(20, 200))
def test_parse_body_splits_as_before(items: list[Any], limit: int) -> None:
    limits = Limits(max_message_bytes=limit)
    body = {"writeKey": "k", "batch": items}
    got = parse_body(
        body, received_at=RECEIVED, implied_type=None, source="api:/v1/batch", limits=limits,
        ip="203.0.113.7",
    )  # fmt: skip
    want = reference(items, limits)
    for m in got.messages:  # generated ids are random; compare everything else
        if m.message_id not in {i.get("messageId") for i in items if isinstance(i, dict)}:
            m.message_id = "id"
    assert got == want
    # The ingest inbox's verdict: the same counts and rejects, no messages built.
    verdict = parse_body(
        body, received_at=RECEIVED, implied_type=None, source="api:/v1/batch", limits=limits,
        ip="203.0.113.7", verdict_only=True,
    )  # fmt: skip
    assert (verdict.messages, verdict.accepted, verdict.rejected) == ([], want.accepted,
                                                                      want.rejected)  # fmt: skip


def test_a_multibyte_message_at_the_limit_is_measured_in_characters() -> None:
    """Over the limit in UTF-8 bytes, within it in characters: accepted, as before."""
    item = {"type": "track", "event": "E", "anonymousId": "a", "properties": {"t": "€" * 40}}
    chars = len(orjson.dumps(item).decode())
    assert len(orjson.dumps(item)) > chars
    got = parse_body(
        {"batch": [item]}, received_at=RECEIVED, implied_type=None, source="s",
        limits=Limits(max_message_bytes=chars),
    )  # fmt: skip
    assert len(got.messages) == 1 and not got.rejected
