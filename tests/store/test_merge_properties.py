"""Merge invariants: no sequence of identify/alias/group/merge loses or duplicates an event.

Random sequences of Segment messages over a small pool of device ids, user ids and e-mails
(so that merges happen often) are written through the real SqlIngestStore in random batch
splits, with client retries mixed in; then the store is checked as a whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypothesis import given, settings
from hypothesis import strategies as st
from store_helpers import TrackerFactory, check_invariants

if TYPE_CHECKING:
    from conftest import StoreHandle

ANON = st.sampled_from(["a0", "a1", "a2", "a3"])
USER = st.sampled_from(["u0", "u1", "u2"])
EMAIL = st.sampled_from(["x@acme.example", "y@acme.example", "z@gmail.com", "X@ACME.example"])
GROUP = st.sampled_from(["g0", "g1"])


@st.composite
def ids(draw: st.DrawFn) -> dict[str, str]:
    out = {}
    if draw(st.booleans()):
        out["anonymousId"] = draw(ANON)
    if not out or draw(st.booleans()):
        out["userId"] = draw(USER)
    return out


def _traits(draw: st.DrawFn) -> dict[str, Any]:
    traits: dict[str, Any] = {}
    if draw(st.booleans()):
        traits["email"] = draw(EMAIL)
    if draw(st.booleans()):
        traits["name"] = draw(st.sampled_from(["Ana", "Bo"]))
    if draw(st.booleans()):
        traits["phone"] = "555"
    return traits


@st.composite
def message(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(["page", "track", "screen", "identify", "identify", "alias", "group"])
    )
    if kind == "alias":
        body: dict[str, Any] = {"previousId": draw(ANON | USER), "userId": draw(USER)}
    else:
        body = draw(ids())
    if kind == "track":
        body["event"] = "Downloaded"
    if kind == "identify":
        body["traits"] = _traits(draw)
    if kind == "group":
        body["groupId"] = draw(GROUP)
        body["traits"] = {"domain": draw(st.sampled_from(["acme.example", "globex.example"]))}
    return {"type": kind, **body}


@st.composite
def traffic(draw: st.DrawFn) -> list[list[dict[str, Any]]]:
    """Batches of messages with unique messageIds, some batches resent as retries."""
    raws = draw(st.lists(message(), min_size=4, max_size=30))
    for i, raw in enumerate(raws):
        raw["messageId"] = f"m{i}"
        raw["timestamp"] = f"2026-03-01T10:{i // 60:02d}:{i % 60:02d}Z"
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(raws) - 1)), max_size=6)))
    batches = [raws[a:b] for a, b in zip([0, *cuts], [*cuts, len(raws)], strict=True)]
    batches = [b for b in batches if b]
    retries = draw(st.lists(st.integers(0, len(batches) - 1), max_size=3))
    for position, index in enumerate(retries):
        batches.insert(draw(st.integers(index + 1, len(batches))), batches[index])
        del position
    return batches


def run_traffic(new_tracker: TrackerFactory, batches: list[list[dict[str, Any]]]) -> None:
    tracker = new_tracker()  # a fresh workspace per example; the store is shared
    pending = list(batches)
    while pending:
        # Sometimes two requests land in one group commit, as the writer thread does.
        take = 2 if len(pending) > 1 and len(pending[0]) % 2 == 0 else 1
        units = [tracker.unit(b) for b in pending[:take]]
        pending = pending[take:]
        tracker.store.write(units)
    check_invariants(tracker, {r["messageId"] for b in batches for r in b})


EXAMPLES = {"sqlite": 60, "postgresql": 20}


def test_no_event_is_lost_or_duplicated_by_any_merge_sequence(
    new_tracker: TrackerFactory, store: StoreHandle
) -> None:
    @settings(max_examples=EXAMPLES[store.kind], deadline=None)
    @given(batches=traffic())
    def check(batches: list[list[dict[str, Any]]]) -> None:
        run_traffic(new_tracker, batches)

    check()
