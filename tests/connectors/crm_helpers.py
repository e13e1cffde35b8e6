"""Settings and data shared by the connector and sync tests."""

from __future__ import annotations

import zlib
from typing import Any

from crm_server import CrmServer
from fake_hubspot import TOKEN as HUBSPOT_TOKEN

from leadloop.bootstrap import crm_connector
from leadloop.config import Settings


def crm_env(server: CrmServer) -> dict[str, str]:
    """The environment a deployment would set, pointed at the fake server."""
    return {
        "LEADLOOP_SALESFORCE_LOGIN_URL": server.url,
        "LEADLOOP_SALESFORCE_CLIENT_ID": "cid",
        "LEADLOOP_SALESFORCE_CLIENT_SECRET": "csecret",
        "LEADLOOP_HUBSPOT_HOST": server.url,
        "LEADLOOP_HUBSPOT_ACCESS_TOKEN": HUBSPOT_TOKEN,
        "LEADLOOP_CRM_CA_BUNDLE": str(server.ca_path),
        "LEADLOOP_CRM_BACKOFF_SECONDS": "0.01",
        "LEADLOOP_CRM_BACKOFF_MAX_SECONDS": "0.05",
    }


def settings(server: CrmServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "salesforce_login_url": server.url,
        "salesforce_client_id": "cid",
        "salesforce_client_secret": "csecret",
        "hubspot_host": server.url,
        "hubspot_access_token": HUBSPOT_TOKEN,
        "crm_ca_bundle": server.ca_path,
        "crm_backoff_seconds": 0.01,
        "crm_backoff_max_seconds": 0.05,
        "salesforce_daily_reserve": 10,
    }
    values.update(overrides)
    return Settings(**values)


def connect(server: CrmServer, name: str, **overrides: Any) -> Any:
    """(connector, mapping, stages) through the real composition root."""
    return crm_connector(settings(server, **overrides), name)


def sf_opportunity(n: int, **fields: Any) -> dict[str, Any]:
    """A Salesforce Opportunity row (flat, related fields dotted)."""
    row: dict[str, Any] = {
        "Id": f"006{n:015d}",
        "Name": f"Deal {n}",
        "Amount": 1000.0 * n,
        "StageName": "Prospecting",
        "IsClosed": False,
        "IsWon": False,
        "CreatedDate": "2026-01-01T09:00:00.000+0000",
        "CloseDate": "2026-03-31",
        "Owner.Name": "Rita Rep",
        "Type": "New Customer",
        "SystemModstamp": f"2026-02-01T10:00:{n:02d}.000+0000",
        "AccountId": "001000000000000001",
        "Account.Website": "https://www.acme.example",
        "Account.Name": "Acme",
    }
    row.update(fields)
    return row


def sf_role(
    opportunity: int, email: str, role: str = "Decision Maker", n: int = 1
) -> dict[str, Any]:
    return {
        "Id": f"00K{opportunity:07d}{n:08d}",
        "OpportunityId": f"006{opportunity:015d}",
        "ContactId": f"003{zlib.crc32(email.encode()):015d}",
        "Contact.Email": email,
        "Role": role,
        "IsPrimary": n == 1,
    }
