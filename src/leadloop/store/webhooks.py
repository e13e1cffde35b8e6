"""Webhook endpoints and their signing secrets.

The secret is stored so that the worker can sign, or only the name of an environment
variable that holds it (``secret_env``), so the database never sees it. Listings show
neither; the secret is returned once, when the endpoint is created.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine, select, update

from leadloop.errors import NotFoundError, ValidationError
from leadloop.store.engine import as_utc, utcnow, write_transaction
from leadloop.store.tables import webhook_endpoints


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A configured receiver; ``secret`` is only filled when the endpoint is created."""

    id: int
    workspace_id: int
    url: str
    active: bool
    created_at: datetime
    secret_env: str | None = None
    secret: str | None = None


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(
        int(row.id),
        int(row.workspace_id),
        row.url,
        bool(row.active),
        as_utc(row.created_at),  # type: ignore[arg-type]
        row.secret_env,
    )


def active_endpoints(conn: Connection, workspace_id: int) -> list[Endpoint]:
    rows = conn.execute(
        select(webhook_endpoints)
        .where(webhook_endpoints.c.workspace_id == workspace_id, webhook_endpoints.c.active)
        .order_by(webhook_endpoints.c.id)
    )
    return [_endpoint(r) for r in rows]


class SqlWebhooks:
    """Add, list, remove endpoints; resolve a secret for signing."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(
        self, workspace_id: int, url: str, secret: str | None = None, secret_env: str | None = None
    ) -> Endpoint:
        """Create an endpoint; without ``secret`` or ``secret_env`` one is generated."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationError(f"webhook URL must be http(s)://host/...; got {url!r}")
        if secret and secret_env:
            raise ValidationError("give either a secret or the name of its variable, not both")
        if secret_env and not os.environ.get(secret_env):
            raise ValidationError(f"environment variable {secret_env} is not set")
        if secret is not None and len(secret) < 16:
            raise ValidationError("a webhook secret needs at least 16 characters")
        if not secret_env:
            secret = secret or f"whsec_{secrets.token_urlsafe(24)}"
        with write_transaction(self.engine) as conn:
            result = conn.execute(
                webhook_endpoints.insert().values(
                    workspace_id=workspace_id,
                    url=url,
                    secret=secret,
                    secret_env=secret_env,
                    active=True,
                    created_at=utcnow(),
                )
            )
            assert result.inserted_primary_key is not None
            new_id = int(result.inserted_primary_key[0])
        found = self.get(workspace_id, new_id)
        return replace(found, secret=secret)

    def get(self, workspace_id: int, endpoint_id: int) -> Endpoint:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(webhook_endpoints).where(
                    webhook_endpoints.c.id == endpoint_id,
                    webhook_endpoints.c.workspace_id == workspace_id,
                )
            ).first()
        if row is None:
            raise NotFoundError(f"webhook endpoint {endpoint_id} does not exist", id=endpoint_id)
        return _endpoint(row)

    def list(self, workspace_id: int) -> list[Endpoint]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(webhook_endpoints)
                .where(webhook_endpoints.c.workspace_id == workspace_id)
                .order_by(webhook_endpoints.c.id)
            )
            return [_endpoint(r) for r in rows]

    def remove(self, workspace_id: int, endpoint_id: int) -> None:
        """Deactivate: pending notifications to it are still delivered."""
        self.get(workspace_id, endpoint_id)
        with write_transaction(self.engine) as conn:
            conn.execute(
                update(webhook_endpoints)
                .where(webhook_endpoints.c.id == endpoint_id)
                .values(active=False)
            )

    def signing_target(self, endpoint_id: int) -> tuple[str, str]:
        """(url, secret) for the worker; the secret is read from its variable when so set."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
            ).first()
        if row is None:
            raise NotFoundError(f"webhook endpoint {endpoint_id} does not exist", id=endpoint_id)
        secret = os.environ.get(row.secret_env, "") if row.secret_env else row.secret
        if not secret:
            raise ValidationError(
                f"webhook endpoint {endpoint_id} has no secret: set {row.secret_env}",
                id=endpoint_id,
            )
        return row.url, secret
