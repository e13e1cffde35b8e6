"""`push_sales_ready` with the reading history built from stored events."""

from __future__ import annotations

from pathlib import Path

import orjson

from leadloop.connectors.memory import MemoryConnector
from leadloop.domain.crm import PushResult, SalesReadyLead
from leadloop.errors import ConnectorError
from leadloop.services.crm_push import push_sales_ready
from leadloop.services.imports import import_events
from leadloop.store.crm_reading import sales_ready_lead


def _events(path: Path) -> Path:
    messages = [
        {
            "type": "identify",
            "userId": "u1",
            "traits": {"email": "Ana@Acme.example", "name": "Ana"},
            "timestamp": "2026-01-10T09:00:00Z",
            "messageId": "m1",
        },
        {
            "type": "page",
            "userId": "u1",
            "timestamp": "2026-01-11T09:00:00Z",
            "messageId": "m2",
            "properties": {
                "url": "https://acme.example/guide",
                "title": "Buyer's guide",
                "read_depth": 80,
            },
        },
        {
            "type": "track",
            "userId": "u1",
            "event": "Asset Downloaded",
            "messageId": "m3",
            "timestamp": "2026-01-12T09:00:00Z",
            "properties": {"asset_id": "coverage-map"},
        },
    ]
    path.write_bytes(b"\n".join(orjson.dumps(m) for m in messages) + b"\n")
    return path


def test_the_lead_carries_its_reading_newest_first(container, workspace, tmp_path):
    source = container.workspaces.source_id(workspace.id, "import")
    import_events(
        container.ingest_store,
        container.directory,
        workspace_id=workspace.id,
        source_id=source,
        path=_events(tmp_path / "e.ndjson"),
    )

    lead = sales_ready_lead(container.engine, workspace.id, "ana@acme.example", ("hot",))

    assert (lead.email, lead.name, lead.account_domain, lead.reasons) == (
        "ana@acme.example",
        "Ana",
        "acme.example",
        ("hot",),
    )
    assert [(i.title, i.depth) for i in lead.reading_history] == [
        ("Asset Downloaded", None),
        ("Buyer's guide", "80% read"),
    ]


class _Flaky(MemoryConnector):
    def push_lead(self, lead: SalesReadyLead) -> PushResult:
        if lead.contact_id == 2:
            raise ConnectorError("HubSpot contact upsert failed: HTTP 400 bad e-mail")
        return super().push_lead(lead)


def test_a_failed_push_is_recorded_and_the_others_go_through(container, workspace):
    connector = _Flaky("hubspot")
    leads = [
        SalesReadyLead(1, "a@x.example"),
        SalesReadyLead(2, "b@x.example"),
        SalesReadyLead(3, "c@x.example"),
    ]

    report = push_sales_ready(connector, container.crm_state, leads, workspace_id=workspace.id)

    assert [r.crm_id for r in report.pushed] == ["mem-1", "mem-3"]
    (error,) = container.crm_state.errors(workspace.id)
    assert (error.connector, error.object, error.record_id) == ("hubspot", "leads", "2")
    assert "HTTP 400" in error.error
