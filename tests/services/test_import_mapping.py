"""Column mappings and row → message conversion: pure, no store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadloop.domain.messages import Message
from leadloop.domain.plain_messages import PlainEvent
from leadloop.errors import ValidationError
from leadloop.services.imports.directory import (
    ACCOUNT_SCHEMA,
    CONTACT_SCHEMA,
    account_record,
    contact_record,
)
from leadloop.services.imports.event_records import (
    EVENT_SCHEMA,
    EventConverter,
    derived_message_id,
)
from leadloop.services.imports.files import detect_format
from leadloop.services.imports.mapping import (
    Mapper,
    load_mapping_file,
    parse_map_options,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_map_options_are_column_equals_field() -> None:
    assert parse_map_options(["a=traits.email", " ts = timestamp "]) == {
        "a": "traits.email",
        "ts": "timestamp",
    }
    with pytest.raises(ValidationError, match="COLUMN=FIELD"):
        parse_map_options(["traits.email"])


def test_mapping_files_in_yaml_and_json(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("columns:\n  user_email: traits.email\n  ts: timestamp\n")
    (tmp_path / "m.json").write_text('{"kind": "type"}')
    (tmp_path / "bad.json").write_text('["kind"]')

    assert load_mapping_file(tmp_path / "m.yaml") == {
        "user_email": "traits.email",
        "ts": "timestamp",
    }
    assert load_mapping_file(tmp_path / "m.json") == {"kind": "type"}
    with pytest.raises(ValidationError, match="column: field"):
        load_mapping_file(tmp_path / "bad.json")
    with pytest.raises(ValidationError, match="does not exist"):
        load_mapping_file(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("a.ndjson", "ndjson"), ("a.JSONL", "ndjson"), ("a.csv.gz", "csv"), ("a.parquet", "parquet")],
)
def test_formats_come_from_the_extension(name: str, fmt: str) -> None:
    assert detect_format(Path(name)) == fmt


def test_default_mapping_finds_segment_names_in_any_spelling() -> None:
    plan = Mapper(EVENT_SCHEMA).plan(["User ID", "anonymous_id", "TYPE", "properties.x", "junk"])
    assert [t.path for _, t in plan.entries] == [
        ("userId",),
        ("anonymousId",),
        ("type",),
        ("properties", "x"),
    ]
    assert plan.ignored == ("junk",)


def test_explicit_mapping_wins_over_a_default_for_the_same_field() -> None:
    plan = Mapper(EVENT_SCHEMA, {"kind": "type"}).plan(["type", "kind"])
    assert [(t.column, t.path) for _, t in plan.entries] == [("kind", ("type",))]
    assert plan.ignored == ("type",)


def test_two_columns_for_one_field_are_refused() -> None:
    with pytest.raises(ValidationError, match="both map to userId"):
        Mapper(EVENT_SCHEMA).plan(["user_id", "userId"])


def test_auto_types_only_change_text_that_is_exactly_a_number_or_boolean() -> None:
    mapper = Mapper(EVENT_SCHEMA)
    header = ["properties.a", "properties.b", "properties.c", "properties.d", "properties.e"]
    plan = mapper.plan(header)
    row = mapper.build_row(plan, ["42", "02134", "12.50", "true", "1e5"], text=True)
    assert row == {"properties": {"a": 42, "b": "02134", "c": 12.5, "d": True, "e": "1e5"}}


def test_a_value_under_a_non_object_is_refused_with_the_column() -> None:
    mapper = Mapper(EVENT_SCHEMA)
    plan = mapper.plan(["properties", "properties.x"])
    with pytest.raises(ValidationError, match="properties is not an object"):
        mapper.build_row(plan, ["[1]", "y"], text=True)


def test_contacts_refuse_fields_passive_profiling_forbids() -> None:
    with pytest.raises(ValidationError, match="not a contact field"):
        Mapper(CONTACT_SCHEMA, {"Phone": "phone"})
    plan = Mapper(CONTACT_SCHEMA).plan(["E-mail", "First Name", "Job Title", "Company"])
    assert plan.ignored == ("Job Title",)
    assert plan.fields == {"email", "first_name", "account_name"}


def test_contact_record_normalises_and_derives_the_company_domain() -> None:
    record = contact_record(
        {"email": " Ana@Acme.Example ", "first_name": "Ana", "last_name": "Silva", "topics": "b;a"},
        line=3,
    )
    assert (record.email, record.name, record.topics) == (
        "ana@acme.example",
        "Ana Silva",
        ("a", "b"),
    )
    assert record.derived_domain == "acme.example"
    assert contact_record({"email": "x@gmail.com"}, 1).derived_domain is None
    with pytest.raises(ValidationError, match="not a valid e-mail"):
        contact_record({"email": "nope"}, 1)
    with pytest.raises(ValidationError, match="email is missing"):
        contact_record({"name": "Ana"}, 1)


def test_accounts_keep_other_columns_as_traits() -> None:
    mapper = Mapper(ACCOUNT_SCHEMA, {"sector": "industry"})
    plan = mapper.plan(["account", "sector", "employees", "website"])
    fields = mapper.build_row(
        plan, ["Acme", "technology", "2822", "https://www.acme.example/"], True
    )
    record = account_record(fields, line=2, key="name")
    assert (record.name, record.domain) == ("Acme", "acme.example")
    assert record.traits == {"industry": "technology", "employees": 2822}
    with pytest.raises(ValidationError, match="has no crm_id"):
        account_record(fields, line=2, key="crm_id")


def test_derived_ids_ignore_key_order_but_not_content() -> None:
    a = derived_message_id({"type": "track", "event": "x", "userId": "u"})
    assert a == derived_message_id({"userId": "u", "event": "x", "type": "track"})
    assert a != derived_message_id({"type": "track", "event": "y", "userId": "u"})


# -- properties ------------------------------------------------------------------------

COLUMNS = ["type", "event", "userId", "anonymousId", "timestamp", "properties", "traits.email"]
TARGETS = [
    *EVENT_SCHEMA.fields,
    "properties.x",
    "properties.n:int",
    "properties.f:float",
    "properties.b:bool",
    "properties.j:json",
    "context.page.url",
    "traits.email",
]
cells = st.one_of(
    st.sampled_from(["", "track", "page", "identify", "alias", "group", "u1", "{}", "[1]"]),
    st.sampled_from(["2025-01-01T00:00:00Z", "2025-13-01", "true", "42", "-1.5", "null"]),
    st.text(max_size=30),
)


@st.composite
def mapped_rows(draw: st.DrawFn) -> tuple[dict[str, str], list[str], list[str]]:
    header = draw(st.lists(st.sampled_from([*COLUMNS, "a", "b", "c"]), unique=True, max_size=7))
    mapping = {
        column: draw(st.sampled_from(TARGETS))
        for column in header
        if column in ("a", "b", "c") and draw(st.booleans())
    }
    values = [draw(cells) for _ in header]
    return mapping, header, values


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(mapped_rows())
def test_any_csv_row_converts_or_is_refused_with_a_reason(
    case: tuple[dict[str, str], list[str], list[str]],
) -> None:
    mapping, header, values = case
    converter = EventConverter(NOW, default_type="track")
    try:
        mapper = Mapper(EVENT_SCHEMA, mapping)
        plan = mapper.plan(header)
        message = converter.message(mapper.build_row(plan, values, text=True))
    except ValidationError as exc:
        assert exc.message
        return
    assert isinstance(message, Message | PlainEvent)
    again = converter.message(mapper.build_row(plan, values, text=True))
    assert again.message_id == message.message_id, "ids must not depend on when we convert"


native = st.one_of(
    st.none(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.booleans(),
    st.datetimes(timezones=st.just(UTC)),
    st.dates(),
    st.decimals(allow_nan=True, places=2),
    st.binary(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.lists(st.tuples(st.text(max_size=3), st.integers()), max_size=2),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(native, min_size=len(COLUMNS), max_size=len(COLUMNS)))
def test_any_parquet_like_row_converts_or_is_refused_with_a_reason(values: list[Any]) -> None:
    converter = EventConverter(NOW)
    mapper = Mapper(EVENT_SCHEMA, {"properties": "properties"})
    plan = mapper.plan(COLUMNS)
    try:
        message = converter.message(mapper.build_row(plan, values, text=False))
    except ValidationError as exc:
        assert exc.message
        return
    assert isinstance(message, Message | PlainEvent)


def test_native_values_become_json() -> None:
    mapper = Mapper(EVENT_SCHEMA)
    plan = mapper.plan(["properties.d", "properties.m", "properties.t"])
    row = mapper.build_row(plan, [Decimal("2.50"), [("k", 1)], date(2025, 1, 2)], text=False)
    assert row == {"properties": {"d": 2.5, "m": [["k", 1]], "t": "2025-01-02"}}
