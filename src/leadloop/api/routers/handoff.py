"""Hand-off routes: the outbox (list, replay), webhook endpoints, SLA breaches. Admin key."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from leadloop.api.deps import AdminKey, ContainerDep
from leadloop.api.handoff_schemas import (
    BreachPublic,
    OutboxItemPublic,
    OutboxPublic,
    Replayed,
    RepServiceLevelPublic,
    SlaBreaches,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhooksPublic,
)
from leadloop.api.schemas import ErrorBody
from leadloop.services.handoff.wakeup import OUTBOX_BELL
from leadloop.store import handoffs, outbox
from leadloop.store.engine import as_utc
from leadloop.store.webhooks import Endpoint

router = APIRouter(tags=["hand-off"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody},
    404: {"model": ErrorBody},
    409: {"model": ErrorBody},
}


def _item(item: outbox.OutboxItem) -> OutboxItemPublic:
    return OutboxItemPublic(
        id=item.id,
        delivery_id=item.delivery_id,
        channel=item.channel,  # type: ignore[arg-type]
        event=item.event,
        status=item.status,  # type: ignore[arg-type]
        attempts=item.attempts,
        leads=len(item.payload["items"]),
        endpoint_id=item.endpoint_id,
        recipient=item.recipient,
        available_at=item.available_at,
        created_at=item.created_at,
        delivered_at=item.delivered_at,
        last_error=item.last_error,
    )


@router.get("/v1/outbox", response_model=OutboxPublic, responses=_ERRORS)
def list_outbox(
    container: ContainerDep,
    key: AdminKey,
    status: Annotated[str | None, Query(pattern="^(pending|delivered|dead)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> OutboxPublic:
    """Notifications of the key's workspace, newest first."""
    items = outbox.list_items(container.engine, key.workspace_id, status, limit)
    return OutboxPublic(items=[_item(i) for i in items])


@router.post("/v1/outbox/{outbox_id}/replay", response_model=Replayed, responses=_ERRORS)
def replay_outbox(outbox_id: int, container: ContainerDep, key: AdminKey) -> Replayed:
    """Queue a dead or delivered notification again; it keeps its delivery id."""
    replayed = outbox.replay(container.engine, key.workspace_id, outbox_id)
    OUTBOX_BELL.ring()  # the embedded delivery worker retries it now, not at its next poll
    return Replayed(replayed=replayed)


def _endpoint(e: Endpoint) -> WebhookPublic:
    return WebhookPublic(
        id=e.id, url=e.url, active=e.active, created_at=e.created_at, secret_env=e.secret_env
    )


@router.post(
    "/v1/webhooks",
    response_model=WebhookCreated,
    status_code=201,
    responses={400: {"model": ErrorBody}, 401: {"model": ErrorBody}},
)
def add_webhook(body: WebhookCreate, container: ContainerDep, key: AdminKey) -> WebhookCreated:
    """Add a receiver; a generated secret is returned in this answer only."""
    e = container.webhooks.add(key.workspace_id, body.url, body.secret, body.secret_env)
    return WebhookCreated(**_endpoint(e).model_dump(), secret=None if body.secret else e.secret)


@router.get("/v1/webhooks", response_model=WebhooksPublic, responses=_ERRORS)
def list_webhooks(container: ContainerDep, key: AdminKey) -> WebhooksPublic:
    """Endpoints of the key's workspace (never their secrets)."""
    return WebhooksPublic(items=[_endpoint(e) for e in container.webhooks.list(key.workspace_id)])


@router.delete("/v1/webhooks/{endpoint_id}", status_code=204, responses=_ERRORS)
def remove_webhook(endpoint_id: int, container: ContainerDep, key: AdminKey) -> Response:
    """Stop sending new events to the endpoint; queued ones are still delivered."""
    container.webhooks.remove(key.workspace_id, endpoint_id)
    return Response(status_code=204)


@router.get("/v1/sla/breaches", response_model=SlaBreaches, responses=_ERRORS)
def sla_breaches(
    container: ContainerDep,
    key: AdminKey,
    since: Annotated[
        datetime | None, Query(description="Only breaches detected from then on.")
    ] = None,
) -> SlaBreaches:
    """Hand-offs sales did not accept or reject in time, per rep and one by one."""
    ws = key.workspace_id
    since = as_utc(since)
    rows = handoffs.breaches(container.engine, ws, since)
    return SlaBreaches(
        reps=[RepServiceLevelPublic(**asdict(r)) for r in handoffs.report(container.engine, ws)],
        breaches=[
            BreachPublic(
                hand_off_id=r.hand_off_id,
                contact_id=r.contact_id,
                cycle=r.cycle,
                rep_id=r.rep_id,
                rep_email=r.email,
                manager_id=r.manager_id,
                reassigned_to_id=r.reassigned_to_id,
                escalated=bool(r.escalated),
                due_at=as_utc(r.due_at),  # type: ignore[arg-type]
                detected_at=as_utc(r.detected_at),  # type: ignore[arg-type]
            )
            for r in rows
        ],
        sla_response_s=container.settings.sla_response_s,
    )
