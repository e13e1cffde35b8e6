"""Catalog validation in the domain: each rule, its message, and the taxonomy check."""

from __future__ import annotations

import pytest

from leadloop.domain.catalog import validate_record, validate_records
from leadloop.domain.content import ContentItem
from leadloop.domain.problems import Problem, RawRecord
from leadloop.domain.taxonomy import Taxonomy, parse_taxonomy

GOOD = {
    "asset_id": "map-1",
    "url": "https://www.northpeak.example/coverage",
    "title": "Coverage map",
    "format": "Coverage Map",
    "buying_stage": " Consideration ",
    "topics": "business continuity; hybrid work",
    "personas": ["CFO", "Network  Engineer"],
    "signal": "HOT",
}


def _one(values: dict[str, object], taxonomy: Taxonomy | None = None) -> list[Problem]:
    item, problems = validate_record(
        RawRecord(7, values), file="c.yaml", taxonomy=taxonomy or Taxonomy()
    )
    assert (item is None) == bool(problems)
    return problems


def test_a_good_record_is_normalised() -> None:
    item, problems = validate_record(RawRecord(3, GOOD), file="c.yaml")
    assert problems == []
    assert item == ContentItem(
        asset_id="map-1",
        url="https://www.northpeak.example/coverage",
        title="Coverage map",
        format="coverage map",
        buying_stage="consideration",
        topics=("business continuity", "hybrid work"),
        personas=("CFO", "Network Engineer"),
        segments=(),
        signal=1.0,
    )
    assert item.is_hot


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("buying_stage", "considerate", "unknown buying stage 'considerate' (did you mean "
                                        "'consideration'?); allowed: epiphany, awareness"),
        ("url", None, "required; every item needs asset_id, url, title, format, buying_stage"),
        ("url", "www.x.example/a", "is not an absolute http(s) URL"),
        ("asset_id", "map 1", "contains spaces; use e.g. 'map-1'"),
        ("title", "two\nlines", "must be one line of text"),
        ("title", "x" * 501, "501 characters; at most 500"),
        ("signal", "1.5", "'1.5' is not a signal; use a number in (0, 1] or the words hot"),
        ("signal", "0", "'0' is not a signal"),
        ("signal", "nan", "'nan' is not a signal"),
        ("signal", True, "True is not a signal"),
        ("topics", "a;;b", "entry 2 is empty; each term must be non-empty text"),
        ("personas", [["CFO"]], "entry 1 is a list"),
        ("segments", {"a": "b"}, "expected a list of text"),
        ("format", ["video"], "expected text, got a list"),
        ("stage", "awareness", "unknown field (did you mean 'buying_stage'?); allowed:"),
    ],
)  # fmt: skip
def test_each_bad_field_gets_one_problem_naming_it(
    field: str, value: object, expected: str
) -> None:
    problems = _one({**GOOD, field: value})
    assert len(problems) == 1, problems
    assert problems[0].field == field
    assert problems[0].line == problems[0].record_line == 7
    assert expected in problems[0].message
    assert str(problems[0]).startswith(f"c.yaml:7: {field}: ")


@pytest.mark.parametrize(("word", "weight"), [("hot", 1.0), ("warm", 0.5), ("0.25", 0.25),
                                              (1, 1.0), ("", None), (None, None)])  # fmt: skip
def test_signal_words_and_numbers(word: object, weight: float | None) -> None:
    item, problems = validate_record(RawRecord(1, {**GOOD, "signal": word}), file="c")
    assert problems == [] and item is not None and item.signal == weight


def test_every_problem_of_a_record_is_collected() -> None:
    problems = _one({"asset_id": "a b", "buying_stage": "later", "signal": "x", "foo": 1})
    assert [p.field for p in problems] == [
        "foo", "asset_id", "url", "title", "format", "buying_stage", "signal",
    ]  # fmt: skip


def test_asset_ids_and_urls_are_unique_within_a_file() -> None:
    a = RawRecord(2, GOOD)
    b = RawRecord(12, {**GOOD, "url": "https://www.northpeak.example/other"})
    c = RawRecord(22, {**GOOD, "asset_id": "map-2"})
    result = validate_records([a, b, c], file="c.yaml")
    assert [i.asset_id for i in result.items] == ["map-1"]
    assert [str(p) for p in result.problems] == [
        "c.yaml:12: asset_id: duplicate asset_id 'map-1': already used by the item on line 2",
        "c.yaml:22: url: duplicate url 'https://www.northpeak.example/coverage': already used "
        "by the item on line 2",
    ]


def _taxonomy() -> Taxonomy:
    raw = RawRecord(1, {"personas": {"Function Head": "keeps the lights on", "CFO": None},
                        "topics": ["hybrid work", "business continuity"]})  # fmt: skip
    taxonomy, problems = parse_taxonomy(raw, "c.yaml")
    assert problems == []
    return taxonomy


def test_declared_terms_are_enforced_with_close_matches() -> None:
    taxonomy = _taxonomy()
    problems = _one({**GOOD, "personas": ["cfo", "Fuction Head"]}, taxonomy)
    assert [p.message for p in problems] == [
        "persona 'Fuction Head' is not declared in the taxonomy (did you mean 'Function Head'?);"
        " declared: Function Head, CFO"
    ]
    item, _ = validate_record(RawRecord(1, {**GOOD, "personas": ["cfo", "function head"]}),
                              file="c", taxonomy=taxonomy)  # fmt: skip
    assert item is not None and item.personas == ("CFO", "Function Head")
    # segments and formats are not declared: any term is accepted
    open_kinds = {**GOOD, "personas": ["CFO"], "segments": ["whatever"], "format": "haiku"}
    assert _one(open_kinds, taxonomy) == []


def test_a_bad_taxonomy_is_reported_per_term() -> None:
    raw = RawRecord(
        1,
        {"topix": [], "personas": ["CFO", "cfo", "", "a;b"], "segments": "SMB"},
        {"topix": 2, "personas": 3, "personas.1": 4, "personas.2": 5, "personas.3": 6,
         "segments": 7},
    )  # fmt: skip
    _, problems = parse_taxonomy(raw, "c.yaml")
    assert [(p.line, p.field) for p in problems] == [
        (2, "taxonomy.topix"), (4, "taxonomy.personas"), (5, "taxonomy.personas"),
        (6, "taxonomy.personas"), (7, "taxonomy.segments"),
    ]  # fmt: skip
    assert "did you mean 'topics'?" in problems[0].message
    assert "'cfo' is declared twice (as 'CFO')" in problems[1].message
