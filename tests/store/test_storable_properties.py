"""Whatever the parser accepts, the store can hold: one odd message must never make a whole
batch fail (the client would retry it forever, and its 99 neighbours with it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypothesis import given, settings
from hypothesis import strategies as st
from store_helpers import TrackerFactory

from leadloop.domain.messages import BatchEnvelope, parse_message
from leadloop.errors import InvalidMessageError
from leadloop.store.ingest import WriteUnit

if TYPE_CHECKING:
    from conftest import StoreHandle

# Text that databases disagree about: NUL, long runs, non-BMP characters.
ODD_TEXT = (
    st.text(max_size=12)
    | st.text(alphabet=st.sampled_from("a\x00é𝄞 @."), min_size=1, max_size=12)
    | st.integers(250, 600).map(lambda n: "x" * n)
)
ODD_EMAIL = st.builds(lambda local, domain: f"{local}@{domain}", ODD_TEXT, ODD_TEXT)


@st.composite
def odd_message(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["track", "page", "identify", "group", "alias"]))
    raw: dict[str, Any] = {
        "type": kind,
        "anonymousId": draw(ODD_TEXT),
        "userId": draw(ODD_TEXT),
        "messageId": draw(ODD_TEXT),
    }
    if kind == "track":
        raw["event"] = draw(ODD_TEXT)
    if kind == "page":
        raw["name"] = draw(ODD_TEXT)
    if kind == "alias":
        raw["previousId"] = draw(ODD_TEXT)
    if kind == "identify":
        raw["traits"] = {
            "email": draw(ODD_EMAIL),
            "name": draw(ODD_TEXT),
            "topic": draw(ODD_TEXT),
            draw(ODD_TEXT): "dropped",
        }
    if kind == "group":
        raw["groupId"] = draw(ODD_TEXT)
        raw["traits"] = {
            "name": draw(ODD_TEXT),
            "website": draw(ODD_TEXT),
            "domain": draw(ODD_TEXT),
            draw(ODD_TEXT): "dropped",
        }
    raw["properties"] = {draw(ODD_TEXT): draw(ODD_TEXT)}
    return raw


EXAMPLES = {"sqlite": 60, "postgresql": 60}


def test_every_accepted_message_can_be_stored(
    new_tracker: TrackerFactory, store: StoreHandle
) -> None:
    tracker = new_tracker()

    @settings(max_examples=EXAMPLES[store.kind], deadline=None)
    @given(raws=st.lists(odd_message(), min_size=1, max_size=3))
    def check(raws: list[dict[str, Any]]) -> None:
        envelope = BatchEnvelope(tracker.clock)
        messages = []
        for raw in raws:
            try:
                messages.append(parse_message(raw, envelope))
            except InvalidMessageError:
                continue
        unit = WriteUnit(tracker.workspace_id, tracker.source_id, messages)
        result = tracker.store.write([unit])[0]
        assert result.stored + result.duplicates == len(messages)

    check()
