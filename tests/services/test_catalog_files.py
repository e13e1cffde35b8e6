"""Catalog files: hand-written bad YAML and CSV name file, line and field; the example loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadloop.errors import ValidationError
from leadloop.services.catalog import check_catalog_file

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "catalog.yaml"

BAD_YAML = """\
taxonomy:
  personas:
    Function Head: keeps the lights on
    CFO:
content:
  - asset_id: wp-1
    url: https://x.example/wp-1
    title: One
    format: white paper
    buying_stage: considerate
  - asset_id: wp-2
    title: Two
    format: white paper
    buying_stage: awareness
  - asset_id: wp-1
    url: https://x.example/wp-3
    title: Three
    format: article
    buying_stage: interest
    signal: very
  - asset_id: wp-4
    url: https://x.example/wp-4
    title: Four
    format: article
    buying_stage: purchase
    personas:
      - CFO
      - Fuction Head
"""


def _messages(path: Path) -> list[str]:
    result = check_catalog_file(path)
    assert not result.ok
    return [str(p) for p in result.problems]


def test_every_problem_of_a_yaml_file_names_its_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(BAD_YAML, encoding="utf-8")
    stages = "epiphany, awareness, interest, consideration, purchase, onboarding, adoption"
    assert _messages(path) == [
        f"{path}:10: buying_stage: unknown buying stage 'considerate' (did you mean "
        f"'consideration'?); allowed: {stages}, renewal/expansion, advocacy",
        f"{path}:11: url: required; every item needs asset_id, url, title, format, buying_stage",
        f"{path}:15: asset_id: duplicate asset_id 'wp-1': already used by the item on line 6",
        f"{path}:20: signal: 'very' is not a signal; use a number in (0, 1] or the words hot "
        "(= 1.0) or warm (= 0.5), or leave it empty",
        f"{path}:28: personas: persona 'Fuction Head' is not declared in the taxonomy (did you "
        "mean 'Function Head'?); declared: Function Head, CFO",
    ]


BAD_CSV = """\
asset_id,url,title,format,buying_stage,topics,personas,signal
ast-1,https://x.example/1,One,article,awareness,hybrid work,CFO,
ast-2,,Two,article,interest,,,
ast-1,https://x.example/3,"Three, with a comma",article,epiphany,,,hot
ast-4,https://x.example/4,"Four
on two lines",article,interested,a;;b,,1.01
ast-5,https://x.example/5,Five,article,purchase,,,warm
"""


def test_every_problem_of_a_csv_file_names_its_row_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "content.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    messages = [m.split(": ", 2)[:2] for m in _messages(path)]
    assert messages == [
        [f"{path}:3", "url"],
        [f"{path}:4", "asset_id"],
        [f"{path}:5", "title"],
        [f"{path}:5", "buying_stage"],
        [f"{path}:5", "topics"],
        [f"{path}:5", "signal"],
    ]


def test_a_csv_header_must_name_the_required_columns(tmp_path: Path) -> None:
    path = tmp_path / "content.csv"
    path.write_text("asset_id,title,stage\nast-1,One,awareness\n", encoding="utf-8")
    assert _messages(path) == [
        f"{path}:1: header: unknown column 'stage' (did you mean 'buying_stage'?); allowed: "
        "asset_id, url, title, format, buying_stage, topics, personas, segments, signal",
        f"{path}:1: header: missing column(s) url, format, buying_stage; required: asset_id, "
        "url, title, format, buying_stage",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("content:\n  - asset_id: a\n    title: [unclosed\n",
         ":4: yaml: not valid YAML: expected ',' or ']', but got '<stream end>' (while "
         "parsing a flow sequence started on line 3)"),
        ("content:\n  - asset_id: a\n   url: b\n", ":3: yaml: not valid YAML: "),
        ("content:\n\t- a\n", ":2: yaml: not valid YAML: found character '\\t'"),
        ("", ":1: content: the file is empty; expected a `content:` list of items"),
        ("contents: []\n", ":1: contents: unknown section (did you mean 'content'?)"),
        ("content:\n  - just text\n", ":2: content: item 1 is not a mapping of fields"),
        ("content:\n  - asset_id: a\n    asset_id: b\n",
         ":3: asset_id: duplicate key in item 1 (first on line 2)"),
    ],
)  # fmt: skip
def test_malformed_yaml_is_reported_with_its_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    messages = _messages(path)
    assert any(m.startswith(f"{path}{expected}") for m in messages), messages


def test_yaml_scalars_stay_the_text_that_was_typed(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(
        "- {asset_id: 0012, url: 'https://x.example/a', title: 2025, format: tool,\n"
        "   buying_stage: Purchase, signal: yes}\n",
        encoding="utf-8",
    )
    assert _messages(path) == [
        f"{path}:2: signal: 'yes' is not a signal; use a number in (0, 1] or the words hot "
        "(= 1.0) or warm (= 0.5), or leave it empty"
    ]
    path.write_text(path.read_text().replace("yes", "0.8"))
    (item,) = check_catalog_file(path).items
    assert (item.asset_id, item.title, item.buying_stage, item.signal) == (
        "0012", "2025", "purchase", 0.8,
    )  # fmt: skip


def test_unreadable_files_are_refused_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"name it \.yaml, \.yml or \.csv"):
        check_catalog_file(tmp_path / "catalog.txt")
    with pytest.raises(ValidationError, match="no such file"):
        check_catalog_file(tmp_path / "missing.yaml")
    (tmp_path / "latin1.csv").write_bytes("asset_id\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(ValidationError, match="not UTF-8"):
        check_catalog_file(tmp_path / "latin1.csv")


def test_the_documented_example_catalog_is_valid_and_complete() -> None:
    result = check_catalog_file(EXAMPLE)
    assert result.ok, [str(p) for p in result.problems]
    items = {i.asset_id: i for i in result.items}
    assert {i.buying_stage for i in items.values()} == {
        "epiphany", "awareness", "interest", "consideration", "purchase",
        "onboarding", "adoption", "renewal/expansion", "advocacy",
    }  # fmt: skip
    assert {"video book", "coverage map", "price list"} <= {i.format for i in items.values()}
    assert items["map-coverage"].is_hot and items["map-coverage"].signal == 1.0
    personas = set(result.taxonomy.terms["personas"])
    assert {"Function Head", "Transformational Leader", "Business Strategist",
            "Turnaround Artist"} < personas  # fmt: skip


def test_yaml_anchors_and_merge_keys_share_defaults(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(
        "x-defaults: &web\n"
        "  format: article\n"
        "  buying_stage: awareness\n"
        "  topics: [hybrid work]\n"
        "content:\n"
        "  - <<: *web\n"
        "    asset_id: a-1\n"
        "    url: https://x.example/1\n"
        "    title: One\n"
        "  - <<: *web\n"
        "    asset_id: a-2\n"
        "    url: https://x.example/2\n"
        "    title: Two\n"
        "    buying_stage: interst\n",
        encoding="utf-8",
    )
    result = check_catalog_file(path)
    assert [str(p) for p in result.problems] == [
        f"{path}:14: buying_stage: unknown buying stage 'interst' (did you mean 'interest'?); "
        "allowed: epiphany, awareness, interest, consideration, purchase, onboarding, adoption, "
        "renewal/expansion, advocacy"
    ]
    path.write_text(path.read_text().replace("interst", "interest"))
    one, two = check_catalog_file(path).items
    assert (one.format, one.buying_stage, one.topics) == ("article", "awareness", ("hybrid work",))
    assert two.buying_stage == "interest"
