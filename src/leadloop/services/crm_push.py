"""`push_sales_ready`: hand sales-ready leads to the CRM with their reasons and reading.

Each lead is pushed on its own; a failure is recorded in ``crm_sync_errors`` (object
``leads``) with the reason and does not stop the others. The lifecycle (issue 4) decides
who is sales-ready and calls this at the moment of qualification.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from leadloop.domain.connectors import CrmConnector
from leadloop.domain.crm import PushResult, SalesReadyLead
from leadloop.errors import ConnectorError
from leadloop.logging import mask_email
from leadloop.store.crm_state import FailedRecord, SqlSyncState
from leadloop.store.engine import utcnow

logger = logging.getLogger(__name__)
LEADS = "leads"


@dataclass(slots=True)
class PushReport:
    connector: str
    pushed: list[PushResult] = field(default_factory=list)
    failed: list[FailedRecord] = field(default_factory=list)


def push_sales_ready(
    connector: CrmConnector,
    state: SqlSyncState,
    leads: Iterable[SalesReadyLead],
    *,
    workspace_id: int,
    now: Callable[[], datetime] = utcnow,
) -> PushReport:
    """Push every lead; record each failure for ``leadloop crm status`` and a retry."""
    report = PushReport(connector.name)
    for lead in leads:
        try:
            result = connector.push_lead(lead)
        except ConnectorError as exc:
            report.failed.append(FailedRecord(str(lead.contact_id), exc.message))
            continue
        report.pushed.append(result)
        logger.info(
            "crm.lead_pushed",
            extra={"fields": {"crm": connector.name, "contact_id": lead.contact_id,
                              "email": mask_email(lead.email), "object": result.crm_object,
                              "crm_id": result.crm_id, "created": result.created}},
        )  # fmt: skip
    if report.failed:
        state.record_errors(workspace_id, connector.name, LEADS, report.failed, now())
    return report
