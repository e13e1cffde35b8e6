"""One visit's worth of behaviour: where the visitor came from, what they read, how deeply.

Depth is what passive profiling reads, so it is modelled per format: read depth and
sections for text, progress milestones for video, attendance for webinars, downloads for
documents. Gated formats need a known visitor; an unknown one sees the page and leaves.
"""

from __future__ import annotations

import math
import random
from itertools import accumulate
from typing import Any, Final, Protocol

from leadloop.simulate import costs, names
from leadloop.simulate.catalog import Asset, Catalog
from leadloop.simulate.clock import between_ms
from leadloop.simulate.segment import LIBRARY, Emitter

SOURCES: Final = ("search", "organic", "social", "syndication", "event", "direct")
FIRST_SOURCE_WEIGHTS: Final = tuple(accumulate((30, 25, 12, 10, 5, 18)))
LATER_SOURCE_WEIGHTS: Final = tuple(accumulate((18, 30, 8, 4, 2, 38)))
REFERRERS: Final = {
    "search": "https://www.google.com/",
    "organic": "https://www.google.com/",
    "social": "https://www.linkedin.com/",
    "syndication": "https://www.itinsights.example/",
}
DEPTH_MODE: Final = (0.15, 0.4, 0.6, 0.85, 0.95, 0.7, 0.6, 0.6, 0.5)
"""Most likely read depth per stage: skimming early, reading closely when evaluating."""
DOWNLOAD_RATE: Final = (0.15, 0.3, 0.45, 0.5, 0.7, 0.3, 0.3, 0.3, 0.2)
PERSONA_FIT: Final = 0.65
MAIN_TOPIC: Final = 0.65


class Reader(Protocol):
    """What content choice needs to know about a person."""

    persona: int
    topics: tuple[int, ...]
    region: int
    seen: set[int]


Source = tuple[int, dict[str, Any] | None, str | None]


class Sources:
    """Traffic sources: the paid program behind a visit (if any) and its campaign tags."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.search = [self._campaign(costs.SEARCH + t, "google", "cpc") for t in range(10)]
        self.social = self._campaign(costs.SOCIAL, "linkedin", "paid-social")
        self.syndication = [
            self._campaign(costs.SYNDICATION, "itinsights", "syndication"),
            self._campaign(costs.SYNDICATION + 1, "ciobriefing", "syndication"),
        ]
        self.event = self._campaign(costs.EVENTS, "tradeshow", "event")

    @staticmethod
    def _campaign(program: int, source: str, medium: str) -> tuple[int, dict[str, Any]]:
        return program, {"name": costs.PROGRAMS[program].name, "source": source, "medium": medium}

    def pick(self, first: bool, topic: int) -> Source:
        """A web visit's source: (program or -1, context.campaign or None, referrer)."""
        weights = FIRST_SOURCE_WEIGHTS if first else LATER_SOURCE_WEIGHTS
        source = self.rng.choices(SOURCES, cum_weights=weights)[0]
        tagged: tuple[int, dict[str, Any]] | None = None
        if source == "search":
            tagged = self.search[topic]
        elif source == "social":
            tagged = self.social
        elif source == "syndication":
            tagged = self.syndication[self.rng.randrange(2)]
        elif source == "event":
            tagged = self.event
        referrer = REFERRERS.get(source)
        if tagged is None:
            return -1, None, referrer
        return tagged[0], tagged[1], referrer


class Shelf:
    """Chooses what a person reads next: their stage, their topics, their persona, unseen."""

    def __init__(self, catalog: Catalog, rng: random.Random) -> None:
        self.catalog = catalog
        self.assets = catalog.assets
        self.rng = rng

    def pick(self, who: Reader, stage: int) -> Asset:
        rng = self.rng
        topics = who.topics
        topic = topics[0] if rng.random() < MAIN_TOPIC else topics[int(rng.random() * 2)]
        candidates: tuple[int, ...] | None = None
        if rng.random() < PERSONA_FIT:
            candidates = self.catalog.by_persona.get((stage, topic, who.persona))
        if not candidates:
            candidates = self.catalog.by_stage_topic[(stage, topic)]
        choice = candidates[int(rng.random() * len(candidates))]
        for _ in range(2):
            if choice not in who.seen:
                break
            choice = candidates[int(rng.random() * len(candidates))]
        who.seen.add(choice)
        return self.assets[choice]

    def hot(self, who: Reader) -> Asset:
        """A price list for their main topic, or the coverage map of their region."""
        if self.rng.random() < 0.55:
            index = self.catalog.price_lists[who.topics[0]]
        else:
            maps = self.catalog.coverage[who.region]
            index = maps[self.rng.randrange(len(maps))]
        who.seen.add(index)
        return self.assets[index]


class Consumption:
    """Emits the engagement events of one asset being consumed."""

    def __init__(self, catalog: Catalog, emitter: Emitter, rng: random.Random) -> None:
        self.emit = emitter
        self.rng = rng
        self.pages = [
            {"url": a.url, "path": a.path, "title": a.title, "asset_id": a.asset_id}
            for a in catalog.assets
        ]
        self.files = [
            {"asset_id": a.asset_id, "url": a.url.replace("www.", "cdn.") + ".pdf"}
            for a in catalog.assets
        ]
        self.contexts = [{"library": LIBRARY, "userAgent": ua} for ua in names.USER_AGENTS]

    def context(self, agent: int, campaign: dict[str, Any] | None) -> dict[str, Any]:
        base = self.contexts[agent]
        return base if campaign is None else {**base, "campaign": campaign}

    def view(
        self,
        ts: int,
        asset: Asset,
        anon: str,
        user: str | None,
        ctx: dict[str, Any],
        referrer: str | None = None,
    ) -> None:
        props = self.pages[asset.index]
        if referrer is not None:
            props = {**props, "referrer": referrer}
        self.emit.page(ts, anon, user, props, ctx)

    def depth(self, stage: int) -> float:
        """Share of the asset consumed (0-1): triangular around the stage's typical depth."""
        return self.rng.triangular(0.02, 1.0, DEPTH_MODE[stage])

    def consume(
        self,
        ts: int,
        asset: Asset,
        stage: int,
        anon: str,
        user: str | None,
        ctx: dict[str, Any],
        force_download: bool = False,
    ) -> tuple[int, int]:
        """Engagement after the page view at ``ts``; returns (end time, download time or -1)."""
        fmt = asset.format
        if fmt.gated and user is None:
            return ts + between_ms(self.rng, 5, 40), -1
        downloaded = -1
        if fmt.downloadable and (force_download or self.rng.random() < DOWNLOAD_RATE[stage]):
            ts += between_ms(self.rng, 4, 40)
            self.emit.track(ts, anon, user, "Asset Downloaded", self.files[asset.index], ctx)
            downloaded = ts
        if fmt.kind == "video":
            return self._watch(ts, asset, stage, anon, user, ctx), downloaded
        if fmt.kind == "webinar":
            return self._attend(ts, asset, anon, user, ctx), downloaded
        return self._read(ts, asset, stage, anon, user, ctx), downloaded

    def _read(
        self, ts: int, asset: Asset, stage: int, anon: str, user: str | None, ctx: dict[str, Any]
    ) -> int:
        depth = self.depth(stage)
        seconds = int(depth * asset.format.minutes * 60 * self.rng.uniform(0.6, 1.4)) + 5
        props = {
            "asset_id": asset.asset_id,
            "read_depth": round(depth * 100),
            "active_seconds": seconds,
            "sections_reached": max(1, math.ceil(depth * asset.sections)),
        }
        ts += seconds * 1000
        self.emit.track(ts, anon, user, "Content Engaged", props, ctx)
        return ts

    def _watch(
        self, ts: int, asset: Asset, stage: int, anon: str, user: str | None, ctx: dict[str, Any]
    ) -> int:
        watched = self.depth(stage)
        length = asset.format.minutes * 60
        for percent in (25, 50, 75, 100):
            if watched * 100 < percent:
                break
            at = ts + int(length * percent / 100 * 1000)
            props = {
                "asset_id": asset.asset_id,
                "percent": percent,
                "position_seconds": length * percent // 100,
            }
            self.emit.track(at, anon, user, "Video Progress", props, ctx)
        end = ts + int(length * watched * 1000) + 2000
        if asset.format.name in ("video book", "podcast"):
            props = {
                "asset_id": asset.asset_id,
                "read_depth": round(watched * 100),
                "active_seconds": int(length * watched),
                "sections_reached": max(1, math.ceil(watched * asset.sections)),
            }
            self.emit.track(end, anon, user, "Content Engaged", props, ctx)
        return end

    def _attend(
        self, ts: int, asset: Asset, anon: str, user: str | None, ctx: dict[str, Any]
    ) -> int:
        ts += between_ms(self.rng, 20, 90)
        self.emit.track(
            ts,
            anon,
            user,
            "Webinar Registered",
            {"asset_id": asset.asset_id, "webinar": asset.title},
            ctx,
        )
        share = self.rng.triangular(0.1, 1.0, 0.9)
        minutes = max(1, round(asset.format.minutes * share))
        ts += minutes * 60_000
        props = {
            "asset_id": asset.asset_id,
            "webinar": asset.title,
            "minutes_attended": minutes,
            "percent": round(share * 100),
            "mode": "on-demand",
        }
        self.emit.track(ts, anon, user, "Webinar Attended", props, ctx)
        return ts
