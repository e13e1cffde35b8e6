"""The user's own vocabulary for content tags: topics, personas, segments and formats.

Topics, personas and segments are data the user defines, not code. A catalog may declare
them in a ``taxonomy`` section (each term with an optional description); once a kind is
declared, every item must use its terms, so a typo such as ``Fuction Head`` is an error
with the close matches instead of a silent new persona. Kinds left undeclared accept any
term. Matching forgives case and spacing and returns the declared spelling.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from leadloop.domain.problems import Problem, RawRecord, did_you_mean

KINDS: Final = ("topics", "personas", "segments", "formats")
"""The kinds of term a taxonomy may declare, as they appear in a catalog file."""

SINGULAR: Final = {"topics": "topic", "personas": "persona", "segments": "segment",
                   "formats": "format"}  # fmt: skip
MAX_TERM: Final = 200
"""Longest term (topic, persona, segment) in characters."""


def term_key(term: str) -> str:
    """The form two terms are compared in: case and spacing do not matter.

    >>> term_key("  Function   head ")
    'function head'
    """
    return " ".join(term.split()).casefold()


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """Declared terms per kind: ``{kind: {term: description}}``; absent kinds are open."""

    terms: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def declared(self, kind: str) -> bool:
        return kind in self.terms

    def canonical(self, kind: str, term: str) -> str | None:
        """The declared spelling of ``term``, ``term`` itself when the kind is open, or None."""
        if kind not in self.terms:
            return term
        wanted = term_key(term)
        return next((t for t in self.terms[kind] if term_key(t) == wanted), None)

    def suggestions(self, kind: str, term: str) -> list[str]:
        """Declared terms close to ``term`` (difflib), best first."""
        declared = {term_key(t): t for t in self.terms.get(kind, {})}
        close = difflib.get_close_matches(term_key(term), list(declared), n=3, cutoff=0.6)
        return [declared[c] for c in close]

    def undeclared_message(self, kind: str, term: str) -> str:
        """What to say about a term the taxonomy does not declare."""
        close = self.suggestions(kind, term)
        hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
        declared = list(self.terms.get(kind, {}))
        shown = ", ".join(declared[:12]) + (f", ... ({len(declared)} in all)" if
                                            len(declared) > 12 else "")  # fmt: skip
        return (
            f"{SINGULAR[kind]} {term!r} is not declared in the taxonomy{hint}; "
            f"declared: {shown or '(none)'}"
        )

    def merged_over(self, stored: Taxonomy) -> Taxonomy:
        """This taxonomy's kinds, and the stored one's for kinds this one leaves open."""
        return Taxonomy(MappingProxyType({**dict(stored.terms), **dict(self.terms)}))


EMPTY_TAXONOMY: Final = Taxonomy()


def parse_taxonomy(record: RawRecord, file: str) -> tuple[Taxonomy, list[Problem]]:
    """A ``taxonomy`` section: each kind a list of terms or a mapping term → description."""
    problems: list[Problem] = []
    terms: dict[str, Mapping[str, str]] = {}
    for kind, raw in record.values.items():
        at = record.line_of(kind)
        if kind not in KINDS:
            hint = did_you_mean(kind, KINDS)
            problems.append(
                Problem(
                    file,
                    at,
                    f"taxonomy.{kind}",
                    f"unknown taxonomy section{hint}; allowed: {', '.join(KINDS)}",
                    record.line,
                )
            )
            continue
        declared, found = _kind_terms(kind, raw, record, file)
        terms[kind] = MappingProxyType(declared)
        problems.extend(found)
    return Taxonomy(MappingProxyType(terms)), problems


def _entries(raw: object) -> list[tuple[object, object]] | None:
    if raw is None:
        return []
    if isinstance(raw, Mapping):
        return list(raw.items())
    if isinstance(raw, list):
        return [(entry, None) for entry in raw]
    return None


def _kind_terms(
    kind: str, raw: object, record: RawRecord, file: str
) -> tuple[dict[str, str], list[Problem]]:
    """Check one kind's terms: non-empty text, no duplicates, descriptions as text."""
    where = f"taxonomy.{kind}"
    entries = _entries(raw)
    if entries is None:
        message = "expected a list of terms or a mapping of term: description"
        return {}, [Problem(file, record.line_of(kind), where, message, record.line)]
    declared: dict[str, str] = {}
    seen: dict[str, str] = {}
    problems: list[Problem] = []
    for i, (term, description) in enumerate(entries):
        at = record.line_of(f"{kind}.{i}", record.line_of(kind))
        error = _term_error(term, description)
        if error is None and isinstance(term, str):
            name = " ".join(term.split())
            if term_key(name) in seen:
                error = f"{name!r} is declared twice (as {seen[term_key(name)]!r})"
            else:
                seen[term_key(name)] = name
                declared[name] = description if isinstance(description, str) else ""
        if error is not None:
            problems.append(Problem(file, at, where, error, record.line))
    return declared, problems


def _term_error(term: object, description: object) -> str | None:
    if not isinstance(term, str) or not term.strip():
        return f"a term must be non-empty text, got {term!r}"
    if ";" in term or len(term) > MAX_TERM:
        return f"term {term!r} must be under {MAX_TERM} characters, without ';'"
    if description is not None and not isinstance(description, str):
        return f"the description of {term!r} must be text"
    return None
