"""The hand-off request refuses what would leak or make no sense."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadloop.domain.handoff import HandOffRequest, LeadContext, ReadingItem, context_document

LEAD = LeadContext(
    name="Ana",
    email_masked="a***@acme.example",
    buying_stage="interest",
    interests=("sd-wan",),
    reading=(
        ReadingItem("Map", "https://x.example/map", "downloaded", datetime(2026, 1, 2, tzinfo=UTC)),
    ),
)


def test_a_full_email_address_is_refused() -> None:
    with pytest.raises(ValueError, match="masked e-mail"):
        HandOffRequest(1, 42, 1, ("r",), "v1", LeadContext("Ana", "ana@acme.example", None))


@pytest.mark.parametrize(
    ("cycle", "reasons", "message"),
    [(0, ("r",), "cycle must be 1"), (1, (), "at least one reason")],
)
def test_cycle_and_reasons_are_required(cycle: int, reasons: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HandOffRequest(1, 42, cycle, reasons, "v1", LEAD)


def test_the_context_document_is_json_ready() -> None:
    doc = context_document(LEAD)
    assert doc["reading"] == [
        {"title": "Map", "url": "https://x.example/map", "grade": "downloaded",
         "at": "2026-01-02T00:00:00+00:00"}
    ]  # fmt: skip
    assert doc["interests"] == ["sd-wan"] and doc["account"] is None
