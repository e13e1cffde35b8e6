"""Validating a content catalog: raw records in, :class:`ContentItem` values or problems out.

One validator serves every entry point (a YAML or CSV file, an API body), so the rules and
the messages are the same everywhere. Every problem of a file is collected, not only the
first, and each names the file, the line, the field and what is allowed.

>>> raw = RawRecord(3, {"asset_id": "wp-1", "url": "https://x.example/wp", "title": "T",
...                     "format": "White Paper", "buying_stage": "considerate"})
>>> result = validate_records([raw], file="catalog.yaml")
>>> print(result.problems[0])  # doctest: +NORMALIZE_WHITESPACE +ELLIPSIS
catalog.yaml:3: buying_stage: unknown buying stage 'considerate'
(did you mean 'consideration'?); allowed: epiphany, awareness, ...
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

from leadloop.domain.content import HOT_SIGNAL, KNOWN_FORMATS, WARM_SIGNAL, ContentItem
from leadloop.domain.problems import Problem, RawRecord, did_you_mean
from leadloop.domain.stages import STAGES, normalise_stage
from leadloop.domain.taxonomy import EMPTY_TAXONOMY, MAX_TERM, Taxonomy, term_key

FIELDS: Final = (
    "asset_id", "url", "title", "format", "buying_stage",
    "topics", "personas", "segments", "signal",
)  # fmt: skip
"""Every field of a catalog item, in the order files show them."""
REQUIRED: Final = ("asset_id", "url", "title", "format", "buying_stage")
LIST_FIELDS: Final = ("topics", "personas", "segments")
LIST_SEPARATOR: Final = ";"
"""Separates the terms of a list in one text cell (CSV): ``network security;hybrid work``."""
SIGNAL_WORDS: Final = {"hot": HOT_SIGNAL, "warm": WARM_SIGNAL}
MAX_LENGTH: Final = {"asset_id": 255, "url": 2000, "title": 500, "format": 100}
"""Longest value per text field (the store's column sizes)."""
_KNOWN = {term_key(f): f for f in KNOWN_FORMATS}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACE = re.compile(r"\s")


@dataclass(frozen=True, slots=True)
class CatalogResult:
    """Validated items in file order, the taxonomy they were checked against, the problems."""

    items: tuple[ContentItem, ...]
    problems: tuple[Problem, ...] = ()
    taxonomy: Taxonomy = field(default_factory=Taxonomy)

    @property
    def ok(self) -> bool:
        return not self.problems


class _Checker:
    """Validates one record, collecting its problems."""

    def __init__(self, record: RawRecord, file: str, taxonomy: Taxonomy) -> None:
        self.record = record
        self.file = file
        self.taxonomy = taxonomy
        self.problems: list[Problem] = []

    def fail(self, name: str, message: str, line: int | None = None) -> None:
        at = self.record.line_of(name) if line is None else line
        self.problems.append(Problem(self.file, at, name, message, self.record.line))

    def text(self, name: str) -> str | None:
        """A required single-line text field, stripped; None (with a problem) when bad."""
        value = self.record.values.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.fail(name, f"required; every item needs {', '.join(REQUIRED)}")
            return None
        if not isinstance(value, str):
            self.fail(name, f"expected text, got {_kind(value)}")
            return None
        value = value.strip()
        if _CONTROL.search(value):
            self.fail(name, "must be one line of text (no line breaks or control characters)")
            return None
        limit = MAX_LENGTH.get(name)
        if limit is not None and len(value) > limit:
            self.fail(name, f"{len(value)} characters; at most {limit}")
            return None
        return value

    def asset_id(self) -> str | None:
        value = self.text("asset_id")
        if value is not None and _SPACE.search(value):
            self.fail(
                "asset_id", f"{value!r} contains spaces; use e.g. {'-'.join(value.split())!r}"
            )
            return None
        return value

    def url(self) -> str | None:
        value = self.text("url")
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
            self.fail("url", f"{value!r} is not an absolute http(s) URL, e.g. "
                             "https://www.example.com/white-papers/cost-of-downtime")  # fmt: skip
            return None
        return value

    def format(self) -> str | None:
        value = self.text("format")
        if value is None:
            return None
        value = " ".join(value.split())
        value = _KNOWN.get(term_key(value), value)
        return self.term("formats", "format", value, self.record.line_of("format"))

    def stage(self) -> str | None:
        value = self.text("buying_stage")
        if value is None:
            return None
        try:
            return normalise_stage(value)
        except ValueError:
            hint = did_you_mean(value.strip().lower(), STAGES)
            self.fail("buying_stage", f"unknown buying stage {value!r}{hint}; "
                                      f"allowed: {', '.join(STAGES)}")  # fmt: skip
            return None

    def term(self, kind: str, name: str, value: str, line: int) -> str | None:
        """``value`` as the taxonomy spells it, or a problem naming the close matches."""
        found = self.taxonomy.canonical(kind, value)
        if found is None:
            self.fail(name, self.taxonomy.undeclared_message(kind, value), line)
        return found

    def terms(self, name: str) -> tuple[str, ...] | None:
        """A list field: a list of text, or one text of ``;``-separated terms."""
        raw = self.record.values.get(name)
        if raw is None:
            return ()
        if isinstance(raw, str):
            entries: list[object] = list(raw.split(LIST_SEPARATOR)) if raw.strip() else []
        elif isinstance(raw, list | tuple):
            entries = list(raw)
        else:
            self.fail(name, f"expected a list of text (or one text with ';' between terms), "
                            f"got {_kind(raw)}")  # fmt: skip
            return None
        out: dict[str, str] = {}
        ok = True
        for i, entry in enumerate(entries):
            line = self.record.line_of(f"{name}.{i}", self.record.line_of(name))
            term = self._entry(name, i, entry, line)
            if term is None:
                ok = False
            else:
                out.setdefault(term_key(term), term)
        return tuple(out.values()) if ok else None

    def _entry(self, name: str, i: int, entry: object, line: int) -> str | None:
        if not isinstance(entry, str) or not entry.strip():
            self.fail(name, f"entry {i + 1} is {_kind(entry)}; each term must be non-empty "
                            "text (CSV: terms separated by ';', no empty ones)", line)  # fmt: skip
            return None
        term = " ".join(entry.split())
        if LIST_SEPARATOR in term or len(term) > MAX_TERM:
            self.fail(name, f"term {term!r} must be under {MAX_TERM} characters, "
                            "without ';'", line)  # fmt: skip
            return None
        return self.term(name, name, term, line)

    def signal(self) -> float | None:
        raw = self.record.values.get("signal")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        number = _signal_value(raw)
        if number is None:
            self.fail("signal", f"{raw!r} is not a signal; use a number in (0, 1] or the words "
                                "hot (= 1.0) or warm (= 0.5), or leave it empty")  # fmt: skip
        return number

    def unknown_fields(self) -> None:
        for name in self.record.values:
            if name not in FIELDS:
                hint = did_you_mean(name, FIELDS)
                self.fail(name, f"unknown field{hint}; allowed: {', '.join(FIELDS)}")


def _kind(value: object) -> str:
    if value is None or value == "":
        return "empty"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _signal_value(raw: object) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in SIGNAL_WORDS:
            return SIGNAL_WORDS[word]
        try:
            raw = float(word)
        except ValueError:
            return None
    if not isinstance(raw, int | float) or not math.isfinite(raw) or not 0 < raw <= 1:
        return None
    return float(raw)


def validate_record(
    record: RawRecord, *, file: str, taxonomy: Taxonomy = EMPTY_TAXONOMY
) -> tuple[ContentItem | None, list[Problem]]:
    """One item, checked field by field: the item when valid, and every problem found."""
    check = _Checker(record, file, taxonomy)
    check.unknown_fields()
    asset_id, url, title = check.asset_id(), check.url(), check.text("title")
    fmt, stage = check.format(), check.stage()
    topics, personas, segments = (check.terms(name) for name in LIST_FIELDS)
    signal = check.signal()
    if (
        check.problems
        or asset_id is None or url is None or title is None or fmt is None or stage is None
        or topics is None or personas is None or segments is None
    ):  # fmt: skip
        return None, check.problems
    item = ContentItem(asset_id, url, title, fmt, stage, topics, personas, segments, signal)
    return item, []


def validate_records(
    records: Iterable[RawRecord], *, file: str, taxonomy: Taxonomy = EMPTY_TAXONOMY
) -> CatalogResult:
    """Every item of a file, with asset ids and urls unique within it."""
    items: list[ContentItem] = []
    problems: list[Problem] = []
    first: dict[tuple[str, str], tuple[int, int]] = {}
    for index, record in enumerate(records):
        item, found = validate_record(record, file=file, taxonomy=taxonomy)
        problems.extend(found)
        for name in ("asset_id", "url"):
            value = record.values.get(name)
            if not isinstance(value, str) or not value.strip():
                continue
            seen, line = first.setdefault((name, value.strip()), (index, record.line))
            if seen != index:
                message = (
                    f"duplicate {name} {value.strip()!r}: already used by the item on line {line}"
                )
                problems.append(Problem(file, record.line_of(name), name, message, record.line))
                item = None
        if item is not None:
            items.append(item)
    return CatalogResult(tuple(items), tuple(problems), taxonomy)
