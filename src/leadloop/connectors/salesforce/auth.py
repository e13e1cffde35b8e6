"""Salesforce sign-in: an existing session, or the OAuth 2.0 token endpoint.

simple-salesforce's own logins build ``https://{domain}.salesforce.com`` URLs; calling the
token endpoint ourselves works with any My Domain or login URL (and a local test server)
and hands simple-salesforce what it needs: a session id and an instance URL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests

from leadloop.config import Settings
from leadloop.connectors.credentials import require
from leadloop.errors import ConnectorAuthError, ConnectorError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Session:
    instance_url: str
    session_id: str
    flow: str


def _secret(value: object) -> str:
    reveal = getattr(value, "get_secret_value", None)
    return str(reveal()) if reveal is not None else ("" if value is None else str(value))


def token_request(settings: Settings) -> tuple[str, dict[str, str]]:
    """The flow name and the form body of the token request the settings allow."""
    if settings.salesforce_username:
        require(settings, "salesforce_client_id", "salesforce_client_secret", "salesforce_password")
        password = _secret(settings.salesforce_password) + _secret(
            settings.salesforce_security_token
        )
        return "password", {
            "grant_type": "password",
            "client_id": str(settings.salesforce_client_id),
            "client_secret": _secret(settings.salesforce_client_secret),
            "username": settings.salesforce_username,
            "password": password,
        }
    require(settings, "salesforce_client_id", "salesforce_client_secret")
    return "client_credentials", {
        "grant_type": "client_credentials",
        "client_id": str(settings.salesforce_client_id),
        "client_secret": _secret(settings.salesforce_client_secret),
    }


def sign_in(settings: Settings, http: requests.Session) -> Session:
    """A session from the settings: session id + instance URL, else an OAuth token."""
    if settings.salesforce_session_id is not None:
        require(settings, "salesforce_instance_url")
        return Session(
            str(settings.salesforce_instance_url),
            _secret(settings.salesforce_session_id),
            "session",
        )
    flow, form = token_request(settings)
    url = settings.salesforce_login_url.rstrip("/") + "/services/oauth2/token"
    try:
        response = http.post(url, data=form, headers={"Accept": "application/json"}, timeout=30)
    except requests.RequestException as exc:
        raise ConnectorError(f"cannot reach the Salesforce token endpoint {url}: {exc}") from None
    body = response.json() if response.content else {}
    if response.status_code != 200 or "access_token" not in body:
        raise ConnectorAuthError(
            f"Salesforce refused the {flow} sign-in ({response.status_code} "
            f"{body.get('error', '')}: {body.get('error_description', '')}); check the "
            "connected app and the LEADLOOP_SALESFORCE_* credentials",
            status=response.status_code,
        )
    logger.info("crm.signed_in", extra={"fields": {"crm": "salesforce", "flow": flow}})
    instance = settings.salesforce_instance_url or body.get("instance_url")
    if not instance:
        raise ConnectorAuthError("the token response has no instance_url; set it explicitly")
    return Session(str(instance), str(body["access_token"]), flow)
