"""simple-salesforce against the local Salesforce endpoints: the requests it really sends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from crm_helpers import connect, settings, sf_opportunity, sf_role
from fake_salesforce import TOKEN

from leadloop.domain.crm import ReadingItem, SalesReadyLead
from leadloop.domain.crm_mapping import opportunity_from_record
from leadloop.errors import ConnectorAuthError, RateLimitedError

API = "/services/data/v60.0"


def _lead() -> SalesReadyLead:
    return SalesReadyLead(
        contact_id=42,
        email="ana@acme.example",
        name="Ana Silva",
        account_domain="acme.example",
        account_name="Acme",
        reasons=("downloaded the coverage map", "3 consideration reads in 7 days"),
        reading_history=(
            ReadingItem(
                datetime(2026, 2, 1, 9, tzinfo=UTC),
                "Coverage map EMEA",
                None,
                "purchase",
                "downloaded",
            ),
            ReadingItem(
                datetime(2026, 1, 28, 9, tzinfo=UTC),
                "Pricing guide",
                "https://acme.example/p",
                "consideration",
                "80% read",
            ),
        ),
    )


def test_client_credentials_sign_in_then_bearer_on_every_call(crm_server, crm):
    connector, _, _ = connect(crm_server, "salesforce")
    list(connector.opportunities(None))

    (token,) = crm.calls("POST", "/services/oauth2/token")
    assert token.form() == {
        "grant_type": "client_credentials",
        "client_id": "cid",
        "client_secret": "csecret",
    }
    assert token.headers["content-type"] == "application/x-www-form-urlencoded"
    (query,) = crm.calls("GET", f"{API}/query")
    assert query.headers["authorization"] == f"Bearer {TOKEN}"


def test_password_flow_appends_the_security_token(crm_server, crm):
    connect(
        crm_server,
        "salesforce",
        salesforce_username="ops@acme.example",
        salesforce_password="pw",
        salesforce_security_token="TOKEN",
    )
    form = crm.calls("POST", "/services/oauth2/token")[0].form()
    assert form["grant_type"] == "password"
    assert (form["username"], form["password"]) == ("ops@acme.example", "pwTOKEN")


def test_a_refused_sign_in_says_so_without_the_secret(crm_server, crm):
    with pytest.raises(ConnectorAuthError) as caught:
        connect(crm_server, "salesforce", salesforce_client_secret="s3cr3t-value")
    assert "invalid_grant" in caught.value.message
    assert "s3cr3t-value" not in caught.value.message
    assert "s3cr3t-value" not in repr(settings(crm_server, salesforce_client_secret="s3cr3t-value"))


def test_missing_credentials_name_the_variables_to_set(crm_server, crm):
    with pytest.raises(ConnectorAuthError, match="LEADLOOP_SALESFORCE_CLIENT_SECRET"):
        connect(crm_server, "salesforce", salesforce_client_secret=None)


def test_session_id_and_instance_url_skip_the_token_endpoint(crm_server, crm):
    connector, _, _ = connect(
        crm_server,
        "salesforce",
        salesforce_session_id=TOKEN,
        salesforce_instance_url=crm_server.url,
    )
    list(connector.opportunities(None))
    assert crm.calls("POST", "/services/oauth2/token") == []
    assert crm.calls("GET", f"{API}/query")[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_soql_pages_follow_next_records_url(crm_server, crm):
    for n in range(1, 6):
        crm.salesforce.put("Opportunity", **sf_opportunity(n))
    crm.salesforce.max_page = 2
    connector, mapping, stages = connect(crm_server, "salesforce")

    pages = list(connector.opportunities(None))

    assert [len(p) for p in pages] == [2, 2, 1]
    first, *more = crm.calls("GET", f"{API}/query")
    soql = first.query["q"][0]
    assert soql.startswith("SELECT Id, Name, Amount, StageName, IsClosed, IsWon, CreatedDate")
    assert "Account.Website" in soql and soql.endswith(
        "FROM Opportunity ORDER BY SystemModstamp ASC, Id ASC"
    )
    assert first.headers["sforce-query-options"] == "batchSize=2000"
    assert [m.path.startswith(f"{API}/query/01gFAKE") for m in more] == [True, True]
    opp = opportunity_from_record(pages[0][0], mapping, stages)
    assert (opp.crm_id, opp.amount, opp.status, opp.account_domain, opp.owner) == (
        "006000000000000001",
        1000.0,
        "open",
        "acme.example",
        "Rita Rep",
    )
    assert opp.last_modified == datetime(2026, 2, 1, 10, 0, 1, tzinfo=UTC)


def test_incremental_pull_filters_on_systemmodstamp(crm_server, crm):
    for n in (1, 30):
        crm.salesforce.put("Opportunity", **sf_opportunity(n))
    connector, _, _ = connect(crm_server, "salesforce")

    (page,) = connector.opportunities(datetime(2026, 2, 1, 10, 0, 20, tzinfo=UTC))

    assert [r["Id"] for r in page] == ["006000000000000030"]
    soql = crm.calls("GET", f"{API}/query")[0].query["q"][0]
    assert "WHERE SystemModstamp >= 2026-02-01T10:00:20Z ORDER BY" in soql


def test_bulk_query_job_reads_csv_results_by_locator(crm_server, crm):
    for n in range(1, 8):
        crm.salesforce.put(
            "Opportunity", **sf_opportunity(n, StageName="Closed Won", IsClosed=True, IsWon=True)
        )
    connector, mapping, stages = connect(crm_server, "salesforce", crm_page_size=3)
    connector.bulk_wait = 0.01

    pages = list(connector.opportunities(None, bulk=True))

    assert [len(p) for p in pages] == [3, 3, 1]
    (create,) = crm.calls("POST", f"{API}/jobs/query")
    assert create.json()["operation"] == "query" and create.json()["query"].startswith(
        "SELECT Id, Name"
    )
    results = crm.calls("GET", "/results")
    assert [r.query.get("locator", [""])[0] for r in results] == ["", "3", "6"]
    assert {r.query["maxRecords"][0] for r in results} == {"3"}
    opp = opportunity_from_record(pages[2][0], mapping, stages)
    assert (opp.status, opp.amount, opp.account_domain) == ("won", 7000.0, "acme.example")


def test_contact_roles_come_with_the_contact_email(crm_server, crm):
    crm.salesforce.put("OpportunityContactRole", **sf_role(1, "ana@acme.example"))
    crm.salesforce.put("OpportunityContactRole", **sf_role(2, "bo@acme.example", "Influencer", 2))
    connector, _, _ = connect(crm_server, "salesforce")

    roles = connector.contact_roles(["006000000000000001", "006000000000000002"])

    assert {(r.email, r.role, r.is_primary) for r in roles} == {
        ("ana@acme.example", "Decision Maker", True),
        ("bo@acme.example", "Influencer", False),
    }
    soql = crm.calls("GET", f"{API}/query")[0].query["q"][0]
    assert "Contact.Email" in soql
    assert "WHERE OpportunityId IN ('006000000000000001','006000000000000002')" in soql


def test_push_upserts_a_lead_by_external_id_with_a_task_and_campaign(crm_server, crm):
    connector, _, _ = connect(crm_server, "salesforce", salesforce_campaign_id="701FAKE")

    result = connector.push_lead(_lead())

    assert (result.crm_object, result.created) == ("Lead", True)
    (upsert,) = crm.calls("PATCH", f"{API}/sobjects/Lead/Leadloop_Contact_Id__c/42")
    assert upsert.json() == {
        "FirstName": "Ana",
        "LastName": "Silva",
        "Email": "ana@acme.example",
        "Company": "Acme",
        "LeadSource": "Leadloop",
        "Description": "downloaded the coverage map\n3 consideration reads in 7 days",
    }
    task = crm.calls("POST", f"{API}/sobjects/Task")[0].json()
    assert task["WhoId"] == result.crm_id and task["Status"] == "Completed"
    lines = task["Description"].splitlines()
    assert lines[:3] == [
        "Why sales-ready:",
        "- downloaded the coverage map",
        "- 3 consideration reads in 7 days",
    ]
    assert lines[-2:] == [
        "2026-02-01 09:00 [purchase] Coverage map EMEA (downloaded)",
        "2026-01-28 09:00 [consideration] Pricing guide (80% read) https://acme.example/p",
    ]
    member = crm.calls("POST", f"{API}/sobjects/CampaignMember")[0].json()
    assert member == {"CampaignId": "701FAKE", "LeadId": result.crm_id, "Status": "Responded"}
    again = connector.push_lead(_lead())
    assert (again.crm_id, again.created) == (result.crm_id, False)


def test_push_to_an_existing_contact_logs_the_task_there(crm_server, crm):
    crm.salesforce.put("Contact", Id="003EXISTING", Email="ana@acme.example")
    connector, _, _ = connect(crm_server, "salesforce")

    result = connector.push_lead(_lead())

    assert (result.crm_object, result.crm_id) == ("Contact", "003EXISTING")
    assert crm.calls("PATCH", "/sobjects/Lead") == []
    assert crm.calls("POST", f"{API}/sobjects/Task")[0].json()["WhoId"] == "003EXISTING"
    soql = crm.calls("GET", f"{API}/query")[0].query["q"][0]
    assert soql == "SELECT Id FROM Contact WHERE Email = 'ana@acme.example' LIMIT 1"


def test_request_limit_exceeded_stops_at_once(crm_server, crm):
    connector, _, _ = connect(crm_server, "salesforce")
    crm.fail_next(
        "GET",
        f"{API}/query",
        403,
        [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}],
    )
    with pytest.raises(RateLimitedError, match="REQUEST_LIMIT_EXCEEDED"):
        list(connector.opportunities(None))
    assert connector.rate_limit_waits == 0


def test_limits_below_the_reserve_refuse_to_start(crm_server, crm):
    crm.salesforce.remaining_override = 5
    connector, _, _ = connect(crm_server, "salesforce", salesforce_daily_reserve=100)
    with pytest.raises(RateLimitedError, match="5 of 15,000 daily API requests left"):
        connector.check_limits()
    assert crm.calls("GET", f"{API}/limits")


def test_sforce_limit_info_near_the_cap_stops_the_pull(crm_server, crm):
    crm.salesforce.put("Opportunity", **sf_opportunity(1))
    crm.salesforce.used = 14_995
    connector, _, _ = connect(crm_server, "salesforce", salesforce_daily_reserve=10)
    with pytest.raises(RateLimitedError, match="nearly used up"):
        list(connector.opportunities(None))


def test_429_and_503_are_retried_after_a_backoff(crm_server, crm):
    crm.salesforce.put("Opportunity", **sf_opportunity(1))
    connector, _, _ = connect(crm_server, "salesforce")
    waits: list[float] = []
    connector.backoff.sleep = waits.append
    crm.fail_next("GET", f"{API}/query", 429, [{"errorCode": "TOO_MANY", "message": "slow down"}])
    crm.fail_next(
        "GET", f"{API}/query", 503, [{"errorCode": "SERVER_UNAVAILABLE", "message": "busy"}]
    )

    (page,) = connector.opportunities(None)

    assert len(page) == 1
    assert connector.rate_limit_waits == 2 and waits == [0.01, 0.02]
    assert len(crm.calls("GET", f"{API}/query")) == 3


def test_a_mapping_file_changes_the_soql_and_the_stage_map(crm_server, crm, tmp_path):
    mapping_file = tmp_path / "crm-mapping.yaml"
    mapping_file.write_text(
        "salesforce:\n  fields: {ARR__c: amount, Type: null, IsClosed: null, IsWon: null}\n"
        "  stages: {Signed: won}\n"
    )
    crm.salesforce.put("Opportunity", **sf_opportunity(1, ARR__c=42.0, StageName="Signed"))
    connector, mapping, stages = connect(crm_server, "salesforce", crm_mapping_file=mapping_file)

    (page,) = connector.opportunities(None)

    soql = crm.calls("GET", f"{API}/query")[0].query["q"][0]
    assert "ARR__c" in soql and " Amount," not in soql and "Type" not in soql
    opp = opportunity_from_record(page[0], mapping, stages)
    assert (opp.amount, opp.status) == (42.0, "won")


def test_accounts_and_owners_are_pulled_with_soql(crm_server, crm):
    crm.salesforce.put("Account", Id="001A", Name="Acme", Website="acme.example", OwnerId="005R")
    crm.salesforce.put(
        "User", Id="005R", Name="Rita Rep", Email="rita@seller.example", IsActive=True
    )
    connector, _, _ = connect(crm_server, "salesforce")

    (account,) = connector.accounts(["001A"])
    (owner,) = connector.owners()

    assert (account.name, account.domain, account.owner) == ("Acme", "acme.example", "005R")
    assert (owner.crm_id, owner.email) == ("005R", "rita@seller.example")
    queries = [c.query["q"][0] for c in crm.calls("GET", f"{API}/query")]
    assert queries == [
        "SELECT Id, Name, Website, OwnerId FROM Account WHERE Id IN ('001A')",
        "SELECT Id, Name, Email FROM User WHERE IsActive = true",
    ]
