"""HubSpot connector on hubspot-api-client (contacts, notes, deals, associations)."""

from __future__ import annotations

from hubspot import HubSpot

from leadloop.config import Settings
from leadloop.connectors.base import Backoff
from leadloop.connectors.credentials import require
from leadloop.connectors.hubspot.connector import HubSpotConnector
from leadloop.domain.crm_mapping import FieldMapping

__all__ = ["HubSpotConnector", "hubspot_connector"]


def hubspot_connector(
    settings: Settings, mapping: FieldMapping, backoff: Backoff
) -> HubSpotConnector:
    """A HubSpot client on the configured host with the private-app token."""
    require(settings, "hubspot_access_token")
    token = settings.hubspot_access_token
    assert token is not None  # checked by require
    options: dict[str, object] = {"host": settings.hubspot_host.rstrip("/")}
    if settings.crm_ca_bundle is not None:
        options["ssl_ca_cert"] = str(settings.crm_ca_bundle)
    client = HubSpot(access_token=token.get_secret_value(), **options)
    return HubSpotConnector(
        client, mapping, backoff=backoff, page_size=min(settings.crm_page_size, 200)
    )
