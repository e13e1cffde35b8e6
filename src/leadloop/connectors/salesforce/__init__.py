"""Salesforce connector on simple-salesforce (sign-in, SOQL, Bulk API 2.0, push)."""

from __future__ import annotations

from typing import Any

import requests
from simple_salesforce.api import Salesforce

from leadloop.config import Settings
from leadloop.connectors.base import Backoff
from leadloop.connectors.salesforce.auth import sign_in
from leadloop.connectors.salesforce.connector import SalesforceConnector
from leadloop.domain.crm_mapping import FieldMapping

__all__ = ["SalesforceConnector", "salesforce_connector"]


class _PinnedCaSession(requests.Session):
    """A session whose ``verify`` wins over ``REQUESTS_CA_BUNDLE`` (requests lets the
    environment override a session's CA bundle; an explicit setting must not lose)."""

    def merge_environment_settings(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        merged: dict[str, Any] = super().merge_environment_settings(*args, **kwargs)
        merged["verify"] = self.verify
        return merged


def salesforce_connector(
    settings: Settings, mapping: FieldMapping, backoff: Backoff
) -> SalesforceConnector:
    """Sign in with the settings' credentials and wrap a simple-salesforce client."""
    http = requests.Session() if settings.crm_ca_bundle is None else _PinnedCaSession()
    if settings.crm_ca_bundle is not None:
        http.verify = str(settings.crm_ca_bundle)
    session = sign_in(settings, http)
    sf = Salesforce(
        instance_url=session.instance_url,
        session_id=session.session_id,
        version=settings.salesforce_api_version,
        session=http,
    )
    return SalesforceConnector(
        sf,
        mapping,
        backoff=backoff,
        page_size=settings.crm_page_size,
        daily_reserve=settings.salesforce_daily_reserve,
        lead_external_id=settings.salesforce_lead_external_id,
        campaign_id=settings.salesforce_campaign_id,
    )
