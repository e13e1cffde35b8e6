"""Content formats: how each is consumed, which stage it serves, how its titles read.

A data table: one format per row, kept compact (formatter off) so it reads as a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from leadloop.simulate.vocab import STAGES


@dataclass(frozen=True, slots=True)
class Format:
    """How one content format behaves when consumed."""

    name: str
    stage: int
    kind: str  # text | video | webinar | tool
    minutes: int
    section: str
    templates: tuple[str, ...]
    gated: bool = False
    downloadable: bool = False
    hot: bool = False


def _f(name: str, stage: str, kind: str, minutes: int, section: str, *templates: str,
       gated: bool = False, dl: bool = False, hot: bool = False) -> Format:  # fmt: skip
    return Format(name, STAGES.index(stage), kind, minutes, section, templates, gated, dl, hot)


# fmt: off
FORMATS: Final = (
    _f("article", "epiphany", "text", 6, "blog",
       "The hidden cost of ignoring {topic}", "{n} signs {topic} is holding your business back",
       "Why {topic} just became a board-level issue"),
    _f("infographic", "epiphany", "text", 2, "resources/infographics",
       "{Topic} by the numbers", "{Topic} on one page: where the risk really is"),
    _f("video", "epiphany", "video", 2, "videos",
       "{Topic} explained in 90 seconds", "What is really changing in {topic}"),
    _f("research report", "epiphany", "text", 15, "research",
       "State of {topic} {year}", "{year} {topic} benchmark: how 500 IT leaders compare",
       gated=True, dl=True),
    _f("article", "awareness", "text", 7, "blog",
       "Five ways companies approach {topic}, compared", "{Topic}: build, buy or outsource?"),
    _f("white paper", "awareness", "text", 20, "resources/white-papers",
       "{Topic}: a primer for IT leaders", "Making the business case for {topic}",
       gated=True, dl=True),
    _f("video book", "awareness", "video", 25, "video-books",
       "The {topic} video book: {n} chapters for busy CIOs",
       "Inside {topic}: a video book for IT leadership teams"),
    _f("checklist", "awareness", "text", 4, "resources/checklists",
       "{Topic} readiness checklist", "Is your organisation ready for {topic}? A {n}-point check",
       dl=True),
    _f("podcast", "awareness", "video", 30, "podcast",
       "Podcast: CIOs on {topic}", "The {topic} podcast: lessons from the front line"),
    _f("e-book", "interest", "text", 25, "resources/e-books",
       "The CIO's guide to choosing a {topic} provider", "{Topic} buyer's guide {year}",
       gated=True, dl=True),
    _f("webinar", "interest", "webinar", 45, "webinars",
       "Live: how peers are tackling {topic}", "Webinar: {n} {topic} mistakes to avoid",
       gated=True),
    _f("analyst report", "interest", "text", 30, "resources/analyst-reports",
       "Analyst view: the {topic} provider landscape {year}",
       "Independent report: {topic} services compared", gated=True, dl=True),
    _f("comparison guide", "interest", "text", 10, "resources/guides",
       "{Topic} providers compared: the questions to ask",
       "Managed or in-house {topic}? A side-by-side guide"),
    _f("case study", "consideration", "text", 8, "customers",
       "How {customer} solved {topic} with {product}",
       "{customer}: {n}% lower costs after moving to {product}", dl=True),
    _f("tool", "consideration", "tool", 10, "tools",
       "{Topic} ROI calculator", "{Topic} self-assessment"),
    _f("solution brief", "consideration", "text", 5, "resources/solution-briefs",
       "{product}: solution brief", "{product} technical overview", dl=True),
    _f("demo video", "consideration", "video", 12, "videos/demos",
       "See it work: {product} demo", "{product} in action: a guided tour"),
    _f("reference architecture", "consideration", "text", 15, "resources/architectures",
       "{product} reference architecture", "Designing {topic} with {product}",
       gated=True, dl=True),
    _f("price list", "purchase", "text", 3, "pricing",
       "{product} price list {year}", gated=True, dl=True, hot=True),
    _f("coverage map", "purchase", "tool", 4, "coverage",
       "Network coverage map - {area}", gated=True, dl=True, hot=True),
    _f("service-level agreement", "purchase", "text", 8, "legal",
       "{product} service-level agreement", "{product} support and service levels", dl=True),
    _f("implementation plan", "purchase", "text", 6, "resources/templates",
       "{product} implementation plan template", "Your first 90 days with {product}", dl=True),
    _f("getting-started guide", "onboarding", "text", 10, "support/onboarding",
       "Getting started with {product}", "{product} onboarding checklist"),
    _f("training video", "onboarding", "video", 15, "support/training",
       "Training: {product} admin basics", "{product} for new administrators"),
    _f("how-to article", "adoption", "text", 6, "support/how-to",
       "How to get more from {product}", "{n} {product} settings most teams miss"),
    _f("best-practices webinar", "adoption", "webinar", 40, "webinars",
       "Best practices: running {product} at scale", "Customer webinar: {topic} done well"),
    _f("product update", "renewal/expansion", "text", 5, "whats-new",
       "What's new in {product} ({year})", "{product} roadmap briefing"),
    _f("upgrade guide", "renewal/expansion", "text", 8, "support/upgrades",
       "{product} upgrade guide", "Expanding {product} to new sites", dl=True),
    _f("value review", "renewal/expansion", "tool", 10, "tools",
       "{product} annual value review", "{product} usage and savings report"),
    _f("referral programme", "advocacy", "text", 3, "customers/refer",
       "Refer a peer to {vendor}", "The {vendor} referral programme: {topic} edition"),
    _f("customer story invitation", "advocacy", "text", 3, "customers/share",
       "Share your {topic} story", "Join the {vendor} {topic} customer advisory board"),
)
# fmt: on
"""Formats per stage, with title templates; a stage's formats are listed together."""
