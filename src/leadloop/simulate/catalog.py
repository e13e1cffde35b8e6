"""The vendor's content catalog: every asset tagged by buying stage, topic, persona, format.

Content is what journeys consume, so the catalog also carries the lookups a journey needs:
assets by (stage, topic, persona), the hot assets (price lists, coverage maps), and each
format's behaviour (how long it is, whether it is gated behind a form, downloadable).
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Final

from leadloop.simulate import names, vocab
from leadloop.simulate.formats import FORMATS, Format
from leadloop.simulate.vocab import TOPICS

ASSETS_PER_TOPIC: Final = (3, 4, 3, 4, 2, 2, 2, 2, 1)
"""Assets per topic and stage (purchase also gets one price list per topic)."""

PERSONA_BY_STAGE: Final = (
    (3, 3, 3, 3, 2, 3, 1, 1),
    (3, 3, 3, 2, 3, 2, 2, 1),
    (2, 3, 2, 2, 3, 1, 3, 1),
    (2, 2, 2, 2, 3, 2, 3, 2),
    (2, 1, 1, 2, 3, 3, 2, 3),
    (1, 1, 1, 1, 3, 1, 3, 1),
    (1, 1, 1, 1, 3, 1, 3, 1),
    (2, 1, 2, 1, 2, 3, 1, 3),
    (2, 2, 2, 1, 2, 1, 1, 1),
)
"""Weight of each persona (columns, as vocab.PERSONAS) as a reader of each stage (rows)."""


@dataclass(frozen=True, slots=True)
class Asset:
    """One piece of content with its tags and the format that says how it is consumed."""

    index: int
    asset_id: str
    url: str
    path: str
    title: str
    format: Format
    stage: int
    topics: tuple[int, ...]
    personas: tuple[int, ...]
    region: int = -1
    sections: int = 1

    @property
    def signal(self) -> str:
        """``hot`` for assets that show intent to buy now (price list, coverage map)."""
        return "hot" if self.format.hot else ""


class Catalog:
    """All assets plus the lookups journeys need to pick what a person reads next."""

    def __init__(self, assets: list[Asset]) -> None:
        self.assets = assets
        by_key: dict[tuple[int, int], list[int]] = defaultdict(list)
        by_persona: dict[tuple[int, int, int], list[int]] = defaultdict(list)
        self.price_lists: dict[int, int] = {}
        coverage: dict[int, list[int]] = defaultdict(list)
        for a in assets:
            if a.format.name == "coverage map":
                coverage[a.region].append(a.index)
                continue
            if a.format.name == "price list":
                self.price_lists[a.topics[0]] = a.index
                continue
            for topic in a.topics:
                by_key[(a.stage, topic)].append(a.index)
                for persona in a.personas:
                    by_persona[(a.stage, topic, persona)].append(a.index)
        self.by_stage_topic = {k: tuple(v) for k, v in by_key.items()}
        self.by_persona = {k: tuple(v) for k, v in by_persona.items()}
        self.coverage = {k: tuple(v) for k, v in coverage.items()}

    def __len__(self) -> int:
        return len(self.assets)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


def _title(fmt: Format, template: str, topic: int, rng: random.Random, area: str) -> str:
    topic_name = TOPICS[topic]
    return template.format(
        topic=topic_name,
        Topic=topic_name[0].upper() + topic_name[1:],
        product=vocab.PRODUCTS[topic],
        year=2025,
        n=rng.choice((3, 4, 5, 7, 10, 12)),
        customer=f"{rng.choice(names.COMPANY_PREFIXES)} {rng.choice(_CUSTOMER_NOUNS)}",
        area=area,
        vendor=vocab.VENDOR,
    )


_CUSTOMER_NOUNS: Final = tuple(noun for _, nouns in names.INDUSTRIES for noun in nouns[:2])


def _personas(stage: int, topic: int, rng: random.Random) -> tuple[int, ...]:
    weights = [
        w * (2 if topic in vocab.TOPICS_BY_PERSONA[p][:2] else 1)
        for p, w in enumerate(PERSONA_BY_STAGE[stage])
    ]
    chosen: set[int] = set()
    for _ in range(rng.choice((2, 3, 3, 4))):
        chosen.add(rng.choices(range(len(weights)), weights)[0])
    return tuple(sorted(chosen))


class _Builder:
    """Accumulates assets, keeping urls unique."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.assets: list[Asset] = []
        self.slugs: set[str] = set()

    def add(self, fmt: Format, template: str, topic: int, region: int = -1, area: str = "") -> None:
        title = _title(fmt, template, topic, self.rng, area)
        slug = base = _slug(title)
        n = 2
        while slug in self.slugs:
            slug, n = f"{base}-{n}", n + 1
        self.slugs.add(slug)
        index = len(self.assets)
        path = f"/{fmt.section}/{slug}"
        topics = (topic,) if self.rng.random() < 0.7 else (topic, self.rng.randrange(len(TOPICS)))
        sections = self.rng.randint(5, 12) if fmt.minutes >= 15 else self.rng.randint(1, 4)
        self.assets.append(
            Asset(
                index=index,
                asset_id=f"ast-{index + 1:04d}",
                url=vocab.VENDOR_SITE + path,
                path=path,
                title=title,
                format=fmt,
                stage=fmt.stage,
                topics=tuple(dict.fromkeys(topics)),
                personas=_personas(fmt.stage, topic, self.rng),
                region=region,
                sections=sections,
            )
        )


def build_catalog(seed: int) -> Catalog:
    """A catalog of ~250 assets: every stage and topic covered, formats varied, titles real."""
    rng = random.Random(f"catalog:{seed}")
    builder = _Builder(rng)
    ordinary = [f for f in FORMATS if not f.hot]
    for topic in range(len(TOPICS)):
        for stage, count in enumerate(ASSETS_PER_TOPIC):
            formats = [f for f in ordinary if f.stage == stage]
            rng.shuffle(formats)
            for i in range(count):
                fmt = formats[i % len(formats)]
                builder.add(fmt, fmt.templates[(i // len(formats)) % len(fmt.templates)], topic)
        price_list = next(f for f in FORMATS if f.name == "price list")
        builder.add(price_list, price_list.templates[0], topic)
    coverage_map = next(f for f in FORMATS if f.name == "coverage map")
    for area, region in vocab.COVERAGE_AREAS:
        builder.add(coverage_map, coverage_map.templates[0], topic=2, region=region, area=area)
    return Catalog(builder.assets)
