"""`import_opportunities`: opportunities from a CSV/Parquet/NDJSON export of any CRM.

The same runner as every other import (chunks, quarantine with line and reason,
idempotent reruns) and the same store and hooks as the Salesforce and HubSpot syncs:
an opportunity is keyed by ``(source, crm_id)``, equal rows are not written again, and
created or changed ones reach the ``on_opportunity_changed`` hooks.

The mapping file may carry a ``stages`` section next to ``columns``::

    columns: {opportunity_id: crm_id, deal_stage: stage, close_value: amount}
    stages: {Won: won, Lost: lost, Engaging: open}

A ``contact_email`` column (or any column mapped to it: ``--mapping
primary_contact_email=contact_email``) makes that person the opportunity's primary contact
role, matched to our contacts by e-mail like a CRM sync's roles: the lifecycle moves that
lead too, besides the account's leads already with sales, and contact-level attribution
has a contact. When a file has the column it is authoritative for the roles of its rows
(a blank cell removes them); without it, stored roles stay. It is not guessed from other
names: a CRM's primary contact who never reached sales would be moved through sales_ready
by implied steps, which counts a sales-sourced deal as marketing's conversion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from leadloop.domain.crm import ContactRole
from leadloop.domain.crm_mapping import (
    FILE_FIELDS,
    FILE_STAGES,
    OUR_FIELDS,
    FieldMapping,
    StageMap,
    opportunity_from_record,
)
from leadloop.domain.traits import normalise_email
from leadloop.errors import ValidationError
from leadloop.services.imports.directory import _fields_convert
from leadloop.services.imports.mapping import Mapper, Schema
from leadloop.services.imports.runner import ImportReport, Job, ProgressCallback
from leadloop.store.crm import Incoming, OpportunityHook, SqlCrmStore
from leadloop.store.ingest import Rejected

CONTACT = "contact_email"
"""The file column naming the opportunity's primary contact (not an opportunity field)."""

_ALIASES = {
    "crm_id": ("id", "opportunityid", "dealid", "crmid", "recordid", "externalid"),
    "name": ("name", "opportunityname", "dealname", "opportunity", "deal"),
    "amount": ("amount", "closevalue", "value", "dealvalue", "revenue", "dealamount"),
    "currency": ("currency", "currencycode", "currencyisocode"),
    "stage": ("stage", "dealstage", "stagename", "status"),
    "is_closed": ("isclosed", "closed"),
    "is_won": ("iswon", "won"),
    "created_at": ("createdat", "createddate", "createdate", "engagedate", "opendate"),
    "close_date": ("closedate", "closedat", "closeddate", "expectedclosedate"),
    "owner": ("owner", "ownername", "salesagent", "salesrep", "rep", "dealowner"),
    "type": ("type", "dealtype", "opportunitytype"),
    "last_modified": ("lastmodified", "lastmodifieddate", "systemmodstamp", "updatedat"),
    "account_crm_id": ("accountid", "accountcrmid", "companyid"),
    "account_domain": ("accountdomain", "domain", "website", "companydomain"),
    "account_name": ("account", "accountname", "company", "companyname"),
    CONTACT: ("contactemail",),
}
OPPORTUNITY_SCHEMA = Schema(
    kind="opportunity",
    fields=dict.fromkeys((*OUR_FIELDS, CONTACT), "str"),
    aliases={alias: ours for ours, names in _ALIASES.items() for alias in names}
    | {f.replace("_", ""): f for f in OUR_FIELDS},
)


def _primary_role(item: Incoming) -> ContactRole | None:
    email = (item.raw or {}).get(CONTACT)
    if email is None or not str(email).strip():
        return None
    return ContactRole(item.opportunity.crm_id, None, str(email), "primary", is_primary=True)


def import_opportunities(
    crm: SqlCrmStore,
    *,
    workspace_id: int,
    path: Path,
    source: str = "file",
    fmt: str | None = None,
    mapping: Mapping[str, str] | None = None,
    stages: Mapping[str, str] | None = None,
    currency: str | None = "USD",
    hooks: Sequence[OpportunityHook] = (),
    chunk_size: int = 5_000,
    max_record_bytes: int = 1 << 20,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import opportunities keyed by ``(source, crm_id)``; bad rows go to quarantine."""
    stage_map = StageMap.of(FILE_STAGES).merged(stages or {})
    fields = FieldMapping(FILE_FIELDS, currency)
    job = Job.open(
        "opportunities", path, fmt, max_record_bytes=max_record_bytes, chunk_size=chunk_size
    )
    mapper = Mapper(OPPORTUNITY_SCHEMA, mapping)

    plan = job.plan(mapper)
    to_fields = _fields_convert(job, mapper, plan)
    has_contacts = plan is None or CONTACT in plan.fields  # NDJSON: per object

    def convert(line: int, value: Any) -> Incoming:
        record = to_fields(value)
        email = record.get(CONTACT)
        if email is not None and str(email).strip():
            clean = normalise_email(email)
            if clean is None:
                raise ValidationError(f"contact_email {str(email)[:80]!r} is not an e-mail address")
            record[CONTACT] = clean
        return Incoming(opportunity_from_record(record, fields, stage_map), record)

    def write(items: list[Incoming], rejects: list[Rejected]) -> None:
        found = [r for r in map(_primary_role, items) if r is not None]
        roles = found if plan is not None and has_contacts else found or None
        result = crm.apply(workspace_id, source, items, roles, hooks=hooks, rejected=rejects)
        job.report.stored += result.created
        job.report.updated += result.updated
        job.report.duplicates += result.unchanged + (
            len(items) - len({i.opportunity.crm_id for i in items})
        )

    report = job.run(convert, write, chunk_size=chunk_size, progress=progress)
    if job.reader.header is None:
        report.ignored_columns = tuple(sorted(mapper.ignored))
    return report


def load_stages_file(path: Path | None) -> dict[str, str]:
    """The ``stages`` section of an opportunity mapping file (empty when there is none)."""
    if path is None or path.suffix.lower() not in (".yaml", ".yml", ".json"):
        return {}
    import yaml

    data = yaml.safe_load(path.read_text()) or {}
    stages = data.get("stages") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in (stages or {}).items()}
