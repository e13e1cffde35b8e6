"""Hand-written content and journeys for the profile tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from leadloop.domain.consumption import AssetState, Observation, fold, observe
from leadloop.domain.content import ContentItem

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

CONTENT = {
    c.asset_id: c
    for c in (
        ContentItem("vb-1", "https://x.example/vb", "The SD-WAN video book", "video book",
                    "awareness", ("sd-wan",), ("Function Head",)),
        ContentItem("map-1", "https://x.example/map", "Network coverage map", "coverage map",
                    "purchase", ("coverage",), ("Network Engineer",), signal=1.0),
        ContentItem("art-1", "https://x.example/a1", "Why branches go dark", "article",
                    "epiphany", ("business continuity", "sd-wan"), ("CFO",)),
        ContentItem("cmp-1", "https://x.example/cmp", "SD-WAN providers compared",
                    "comparison guide", "consideration", ("sd-wan",), ("Network Engineer",),
                    ("mid-market",)),
        ContentItem("wp-1", "https://x.example/wp", "Hybrid work white paper", "white paper",
                    "interest", ("hybrid work",), ("Business Strategist",)),
    )
}  # fmt: skip


def no_url(_url: str) -> str | None:
    return None


class Journey:
    """Builds a person's events as observations, with increasing ids."""

    def __init__(self, identity_id: int = 1) -> None:
        self.identity_id = identity_id
        self.obs: list[Observation] = []
        self._id = 0

    def add(self, at: datetime, kind: str, name: str | None, **props: Any) -> Journey:
        self._id += 1
        o = observe(self._id, self.identity_id, kind, name, at, props, no_url)
        assert o is not None
        self.obs.append(o)
        return self

    def view(self, at: datetime, asset: str) -> Journey:
        return self.add(at, "page", None, asset_id=asset)

    def engaged(
        self, at: datetime, asset: str, depth: float, seconds: int, sections: Any
    ) -> Journey:
        return self.add(
            at, "track", "Content Engaged", asset_id=asset, read_depth=depth,
            active_seconds=seconds, sections_reached=sections, sections_total=7,
        )  # fmt: skip

    def states(self) -> dict[str, AssetState]:
        return {a: s for (_, a), s in fold(self.obs).items()}


def days(n: float) -> timedelta:
    return timedelta(days=n)


ASSETS = [*CONTENT, "unknown"]
number = st.one_of(st.integers(0, 400), st.floats(0, 400, allow_nan=False), st.text(max_size=2))
sections = st.one_of(st.integers(0, 12), st.lists(st.sampled_from("abcdef"), max_size=4))


@st.composite
def event(draw: st.DrawFn) -> tuple[str, str | None, dict[str, Any], float]:
    kind, name = draw(st.sampled_from([
        ("page", None), ("track", "Content Engaged"), ("track", "Video Progress"),
        ("track", "Asset Downloaded"), ("track", "Webinar Attended"), ("track", "Email Opened"),
        ("identify", None),
    ]))  # fmt: skip
    props: dict[str, Any] = {"asset_id": draw(st.sampled_from(ASSETS))}
    for key, values in (
        ("read_depth", number), ("active_seconds", number), ("sections_reached", sections),
        ("percent", number), ("minutes_attended", number),
    ):  # fmt: skip
        if draw(st.booleans()):
            props[key] = draw(values)
    return kind, name, props, draw(st.floats(0, 90))


events = st.lists(st.tuples(st.integers(1, 3), event()), max_size=40)


def observations(sequence: list[tuple[int, Any]]) -> list[Observation]:
    out = []
    for n, (who, (kind, name, props, day)) in enumerate(sequence, start=1):
        o = observe(n, who, kind, name, T0 + timedelta(days=day), props, no_url)
        if o is not None:
            out.append(o)
    return out
