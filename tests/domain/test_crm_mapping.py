"""Field mapping, stage mapping and CRM value parsing (pure, with hypothesis invariants)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadloop.domain.crm import (
    LOST,
    OPEN,
    OPPORTUNITY_STATUSES,
    WON,
    Opportunity,
    OpportunityChange,
)
from leadloop.domain.crm_mapping import (
    HUBSPOT_FIELDS,
    HUBSPOT_STAGES,
    SALESFORCE_FIELDS,
    SALESFORCE_STAGES,
    FieldMapping,
    StageMap,
    opportunity_from_record,
    parse_time,
)
from leadloop.errors import ValidationError

SF = FieldMapping(SALESFORCE_FIELDS, "USD")
SF_STAGES = StageMap.of(SALESFORCE_STAGES)


def test_salesforce_record_with_related_fields_maps_onto_an_opportunity():
    raw = {
        "Id": "006A",
        "Name": "Fleet",
        "Amount": 1200,
        "StageName": "Closed Won",
        "IsClosed": True,
        "IsWon": True,
        "CreatedDate": "2026-01-02T03:04:05.000+0000",
        "CloseDate": "2026-02-01",
        "Owner": {"Name": "Rita"},
        "Type": "Existing Customer - Upgrade",
        "SystemModstamp": "2026-02-01T00:00:00.000+0000",
        "AccountId": "001A",
        "Account": {"Website": "https://www.acme.example/", "Name": "Acme"},
    }
    opp = opportunity_from_record(raw, SF, SF_STAGES)
    assert opp == Opportunity(
        crm_id="006A",
        name="Fleet",
        stage="Closed Won",
        status=WON,
        amount=1200.0,
        currency="USD",
        account_crm_id="001A",
        account_domain="acme.example",
        account_name="Acme",
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        close_date=date(2026, 2, 1),
        owner="Rita",
        type="expansion",
        last_modified=datetime(2026, 2, 1, tzinfo=UTC),
    )


def test_closed_flags_win_over_stage_words():
    assert SF_STAGES.status("Closed Won", is_closed=True, is_won=False) == LOST
    assert SF_STAGES.status("Closed Won") == WON
    assert StageMap.of(HUBSPOT_STAGES).status("closedlost") == LOST
    assert SF_STAGES.status("Qualification") == OPEN


def test_a_strict_stage_map_names_the_mapped_stages():
    strict = StageMap.of({"Signed": WON}, unknown=None)
    with pytest.raises(
        ValidationError, match="stage 'Talking' is not mapped; mapped stages: signed"
    ):
        strict.status("Talking")
    with pytest.raises(ValidationError, match="allowed: open, won, lost"):
        StageMap.of({"Signed": "closed"})


def test_overrides_replace_and_drop_fields():
    mapping = FieldMapping(HUBSPOT_FIELDS).merged(
        {"amount_in_home_currency": "amount", "dealtype": None}
    )
    assert mapping.crm_field("amount") == "amount_in_home_currency"
    assert "amount" not in mapping.crm_fields() and "dealtype" not in mapping.crm_fields()
    with pytest.raises(ValidationError, match="not an opportunity field"):
        FieldMapping({"Id": "crm_id", "Foo": "bar"})


def test_bad_values_name_the_record_and_field():
    with pytest.raises(
        ValidationError, match=r"opportunity 9: close_date '31/02/2026' cannot be read"
    ):
        opportunity_from_record(
            {"Id": "9", "StageName": "x", "CloseDate": "31/02/2026"}, SF, SF_STAGES
        )
    with pytest.raises(ValidationError, match="has no id"):
        opportunity_from_record({"StageName": "x"}, SF, SF_STAGES)


def test_time_formats_of_each_crm():
    expected = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_time("2026-01-02T03:04:05.000+0000") == expected
    assert parse_time("2026-01-02T03:04:05Z") == expected
    assert parse_time("1767323045000") == expected
    assert parse_time(1767323045000) == expected


def test_lost_means_recycle_only_when_it_just_became_lost():
    lost = Opportunity("1", "d", "Closed Lost", LOST)
    assert OpportunityChange(1, 1, "x", lost, lost).became is None
    assert OpportunityChange(1, 1, "x", Opportunity("1", "d", "Open", OPEN), lost).became == LOST


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*SALESFORCE_FIELDS, "Junk"]),
        st.one_of(st.none(), st.text(max_size=30), st.integers(), st.floats(), st.booleans()),
    )
)
def test_any_record_maps_or_is_refused_with_a_validation_error(raw):
    try:
        opp = opportunity_from_record(raw, SF, SF_STAGES)
    except ValidationError as exc:
        assert exc.message
    else:
        assert opp.status in OPPORTUNITY_STATUSES and opp.crm_id
        assert opp.amount is None or opp.amount >= 0


@settings(deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
)
def test_salesforce_and_iso_times_round_trip(moment):
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    sf_text = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
    assert parse_time(sf_text) == moment
    assert parse_time(moment.isoformat()) == moment
    assert parse_time(int(moment.timestamp() * 1000)) - moment < timedelta(milliseconds=1)
