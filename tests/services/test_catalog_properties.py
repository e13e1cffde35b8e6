"""Properties: any valid catalog survives YAML and CSV; any one corruption is one problem.

Catalogs are written the way a person would (one field per line in YAML, one row per item in
CSV), so the line every field sits on is known and the problem must name exactly that line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from leadloop.domain.catalog import FIELDS
from leadloop.domain.content import KNOWN_FORMATS, ContentItem
from leadloop.domain.stages import STAGES
from leadloop.domain.taxonomy import term_key
from leadloop.services.catalog import check_catalog
from leadloop.services.catalog.files import parse_csv, parse_yaml

WORD = st.from_regex(r"[A-Za-z][a-z0-9]{0,7}", fullmatch=True)
TERM = st.lists(WORD, min_size=1, max_size=3).map(" ".join)
TERMS = st.lists(TERM, max_size=4, unique_by=term_key).map(tuple)
TITLE = st.text(
    st.characters(categories=("L", "N"), include_characters=" -,:'&?!()#\"/"),
    min_size=1, max_size=40,
).map(str.strip).filter(bool)  # fmt: skip
CUSTOM_FORMAT = TERM.filter(lambda f: term_key(f) not in {term_key(k) for k in KNOWN_FORMATS})
SIGNAL = st.none() | st.just(1.0) | st.just(0.5) | st.floats(0, 1, exclude_min=True)


@st.composite
def items(draw: st.DrawFn, index: int) -> ContentItem:
    return ContentItem(
        asset_id=f"a{index}-" + draw(st.from_regex(r"[a-z0-9._-]{0,12}", fullmatch=True)),
        url=f"https://www.example.com/{index}/" + draw(st.from_regex(r"[a-z0-9/-]{0,20}",
                                                                      fullmatch=True)),
        title=draw(TITLE),
        format=draw(st.sampled_from(KNOWN_FORMATS) | CUSTOM_FORMAT),
        buying_stage=draw(st.sampled_from(STAGES)),
        topics=draw(TERMS),
        personas=draw(TERMS),
        segments=draw(TERMS),
        signal=draw(SIGNAL),
    )  # fmt: skip


@st.composite
def catalogs(draw: st.DrawFn, min_size: int = 0) -> list[ContentItem]:
    n = draw(st.integers(min_size, 6))
    return [draw(items(i)) for i in range(n)]


def _signal_text(item: ContentItem, words: bool) -> str:
    if item.signal is None:
        return ""
    if words and item.signal in (1.0, 0.5):
        return "hot" if item.signal == 1.0 else "warm"
    return repr(item.signal)


PERSONA_LINES = 3
"""The YAML written below starts ``taxonomy:`` / ``personas: [...]`` / ``content:``."""


def to_yaml(catalog: list[ContentItem], personas: list[str], words: bool = True) -> str:
    """One field per line, every scalar JSON-quoted (JSON strings are YAML strings)."""
    q = lambda v: orjson.dumps(v).decode()  # noqa: E731
    lines = ["taxonomy:", f"  personas: {q(personas)}", "content:"]
    for i in catalog:
        signal = _signal_text(i, words)
        lines += [
            f"  - asset_id: {q(i.asset_id)}", f"    url: {q(i.url)}", f"    title: {q(i.title)}",
            f"    format: {q(i.format)}", f"    buying_stage: {q(i.buying_stage)}",
            f"    topics: {q(list(i.topics))}", f"    personas: {q(list(i.personas))}",
            f"    segments: {q(list(i.segments))}",
            f"    signal: {q(signal) if signal else '~'}",
        ]  # fmt: skip
    return "\n".join(lines) + "\n"


def yaml_line(index: int, field: str) -> int:
    return PERSONA_LINES + 1 + index * len(FIELDS) + FIELDS.index(field)


def to_csv(catalog: list[ContentItem], words: bool = True) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for i in catalog:
        writer.writerow([
            i.asset_id, i.url, i.title, i.format, i.buying_stage, ";".join(i.topics),
            ";".join(i.personas), ";".join(i.segments), _signal_text(i, words),
        ])  # fmt: skip
    return out.getvalue()


def _all_personas(catalog: list[ContentItem]) -> list[str]:
    return list({term_key(p): p for i in catalog for p in i.personas}.values())


@settings(max_examples=60, deadline=None)
@given(catalogs(), st.booleans())
def test_a_valid_catalog_loads_back_the_same_from_yaml_and_csv(
    catalog: list[ContentItem], words: bool
) -> None:
    from_yaml = check_catalog(parse_yaml(to_yaml(catalog, _all_personas(catalog), words), "c.yaml"))
    assert from_yaml.problems == ()
    assert list(from_yaml.items) == catalog
    from_csv = check_catalog(parse_csv(to_csv(catalog, words), "c.csv"))
    assert from_csv.problems == ()
    assert list(from_csv.items) == catalog


CORRUPTIONS = ("stage", "url", "title", "signal", "asset_id", "topics", "persona")
FIELD_OF = {"stage": "buying_stage", "persona": "personas"}


def _corrupt(catalog: list[ContentItem], at: int, how: str) -> list[ContentItem]:
    item = catalog[at]
    bad = {
        "stage": lambda: replace(item, buying_stage="considerate"),
        "url": lambda: replace(item, url=""),
        "title": lambda: replace(item, title=""),
        "signal": lambda: replace(item, signal=1.5),
        "asset_id": lambda: replace(item, asset_id=catalog[0].asset_id),
        # One real topic first: a lone empty topic is an empty CSV cell, which means none.
        "topics": lambda: replace(item, topics=(*(item.topics or ("cloud",)), "")),
        "persona": lambda: replace(item, personas=(*item.personas, "Zz Undeclared")),
    }[how]()
    return [*catalog[:at], bad, *catalog[at + 1 :]]


@settings(max_examples=80, deadline=None)
@given(catalogs(min_size=2), st.data())
def test_one_corrupted_field_is_exactly_one_problem_on_its_line(
    catalog: list[ContentItem], data: st.DataObject
) -> None:
    at = data.draw(st.integers(1, len(catalog) - 1), label="item")
    how = data.draw(st.sampled_from(CORRUPTIONS), label="corruption")
    field = FIELD_OF.get(how, how)
    personas = _all_personas(catalog)
    broken = _corrupt(catalog, at, how)

    (problem,) = check_catalog(parse_yaml(to_yaml(broken, personas), "c.yaml")).problems
    assert (problem.field, problem.line) == (field, yaml_line(at, field)), problem
    assert problem.record_line == yaml_line(at, "asset_id")
    assert str(problem).startswith(f"c.yaml:{yaml_line(at, field)}: {field}: ")

    if how == "persona":
        return  # a CSV file declares no taxonomy: any persona is fine there
    (problem,) = check_catalog(parse_csv(to_csv(broken), "c.csv")).problems
    assert (problem.field, problem.line, problem.record_line) == (field, at + 2, at + 2)
