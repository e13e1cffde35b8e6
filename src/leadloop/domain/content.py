"""A piece of content and its tags: the vocabulary passive profiling reads.

Content is tagged by the buying stage it serves, the topics (business issues) it is about,
the personas/segments it is written for and its format. Topics, personas, segments and
formats are data the user defines, so they are plain strings here; only stages are fixed
(:mod:`leadloop.domain.stages`). ``signal`` is an optional weight for content whose
consumption signals intent by itself (the coverage map is the brief's *hot* example).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

KNOWN_FORMATS: Final = (
    "article",
    "white paper",
    "video book",
    "video",
    "webinar",
    "tool",
    "case study",
    "price list",
    "coverage map",
    "e-book",
    "checklist",
    "infographic",
    "research report",
    "analyst report",
    "comparison guide",
    "solution brief",
    "reference architecture",
    "demo video",
    "podcast",
)
"""Formats named in the brief and the simulator; any other string is accepted too."""

HOT_SIGNAL: Final = 1.0
"""Signal weight of a *hot* asset: consuming it must reach sales at once."""
WARM_SIGNAL: Final = 0.5
"""Signal weight of a *warm* asset."""


@dataclass(frozen=True, slots=True)
class ContentItem:
    """One catalogued asset with its tags.

    ``asset_id`` is what tracking events carry (``properties.asset_id``); ``url`` is the
    page it lives on. ``signal`` is None for ordinary content, else a weight in (0, 1]
    where 1.0 is hot.
    """

    asset_id: str
    url: str
    title: str
    format: str
    buying_stage: str
    topics: tuple[str, ...] = ()
    personas: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    signal: float | None = None

    @property
    def is_hot(self) -> bool:
        return self.signal is not None and self.signal >= HOT_SIGNAL


def url_key(url: str) -> str:
    """The form page urls are matched to catalogued content in: no scheme, query, fragment
    or trailing slash, host in lower case (campaign parameters never hide an asset).

    >>> url_key("https://WWW.Example.com/guides/x/?utm_source=mail#top")
    'www.example.com/guides/x'
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. "http://[bad": a page view must never stall the profile updater
        return _rough_url_key(text)
    return f"{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _rough_url_key(text: str) -> str:
    """``url_key`` for text ``urlsplit`` refuses: the same cuts, made without parsing."""
    rest = text.split("#", 1)[0].split("?", 1)[0]
    scheme, sep, tail = rest.partition("://")
    if sep and scheme and "/" not in scheme:
        rest = tail
    host, slash, path = rest.partition("/")
    return f"{host.lower()}{slash}{path}".rstrip("/")
