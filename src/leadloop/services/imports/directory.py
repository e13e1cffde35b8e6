"""`import_contacts` and `import_accounts`: CRM lists into the contact and account tables.

Passive profiling applies to imports too: of a person, Leadloop keeps the name, the e-mail,
the topics they subscribed to, plus data the company itself assigns (the persona/segment
and the CRM id). Any other column (phone, title, address, ...) is reported as ignored and
never stored; mapping a column onto such a field is refused. Accounts are companies, not
people: their firmographic columns are kept as account traits.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from leadloop.domain.accounts import FREE_MAIL_DOMAINS, company_domain, domain_from_website
from leadloop.domain.traits import display_name, normalise_email
from leadloop.errors import ValidationError
from leadloop.services.imports.mapping import Mapper, Plan, Schema
from leadloop.services.imports.runner import ImportReport, Job, ProgressCallback
from leadloop.store.directory import ACCOUNT_KEYS, AccountRecord, ContactRecord, SqlDirectory
from leadloop.store.ingest import Rejected

CONTACT_FIELDS = (
    "email",
    "name",
    "first_name",
    "last_name",
    "topics",
    "persona",
    "crm_id",
    "account_domain",
    "account_name",
)
CONTACT_SCHEMA = Schema(
    kind="contact",
    fields={**dict.fromkeys(CONTACT_FIELDS, "str"), "topics": "auto"},
    aliases={
        **{f.replace("_", ""): f for f in CONTACT_FIELDS},
        "emailaddress": "email",
        "fullname": "name",
        "givenname": "first_name",
        "surname": "last_name",
        "familyname": "last_name",
        "topic": "topics",
        "segment": "persona",
        "contactid": "crm_id",
        "externalid": "crm_id",
        "companydomain": "account_domain",
        "domain": "account_domain",
        "website": "account_domain",
        "account": "account_name",
        "company": "account_name",
        "companyname": "account_name",
    },
)
ACCOUNT_SCHEMA = Schema(
    kind="account",
    fields={"name": "str", "domain": "str", "crm_id": "str", "group_id": "str", "traits": "json"},
    nested=frozenset({"traits"}),
    aliases={
        "name": "name",
        "account": "name",
        "accountname": "name",
        "company": "name",
        "companyname": "name",
        "domain": "domain",
        "website": "domain",
        "crmid": "crm_id",
        "accountid": "crm_id",
        "externalid": "crm_id",
        "id": "crm_id",
        "groupid": "group_id",
        "traits": "traits",
    },
    rest="traits",
)


def _text(fields: dict[str, Any], key: str, limit: int) -> str | None:
    value = fields.get(key)
    if value is None:
        return None
    text = (value if isinstance(value, str) else str(value)).strip()
    if not text:
        return None
    if len(text) > limit:
        raise ValidationError(f"{key} is longer than {limit} characters")
    if "\x00" in text:
        raise ValidationError(f"{key} contains a NUL character")
    return text


def _topics(value: Any) -> tuple[str, ...]:
    """Topics from a list, a JSON list in text, or text separated by ``;`` or ``|``."""
    if value is None:
        return ()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = orjson.loads(text)
            except orjson.JSONDecodeError:
                raise ValidationError(
                    "topics looks like a JSON list but is not valid JSON"
                ) from None
        else:
            value = text.replace("|", ";").split(";")
    if not isinstance(value, list):
        value = [value]
    topics = {str(t).strip() for t in value if t is not None and str(t).strip()}
    if any(len(t) > 200 or "\x00" in t for t in topics):
        raise ValidationError("a topic is longer than 200 characters or contains NUL")
    return tuple(sorted(topics))


def _domain(fields: dict[str, Any], key: str) -> str | None:
    raw = _text(fields, key, 255)
    if raw is None:
        return None
    domain = domain_from_website(raw)
    if domain is None:
        raise ValidationError(f"{key} {raw[:60]!r} is not a domain such as acme.example")
    return domain


def contact_record(fields: dict[str, Any], line: int) -> ContactRecord:
    """One validated contact; raise :class:`ValidationError` with the reason."""
    raw_email = _text(fields, "email", 320)
    if raw_email is None:
        raise ValidationError("email is missing; every contact needs an e-mail address")
    email = normalise_email(raw_email)
    if email is None:
        raise ValidationError(f"email {raw_email[:60]!r} is not a valid e-mail address")
    name = display_name(
        {
            "name": _text(fields, "name", 300),
            "first_name": _text(fields, "first_name", 150),
            "last_name": _text(fields, "last_name", 150),
        }
    )
    account_domain = _domain(fields, "account_domain")
    if account_domain in FREE_MAIL_DOMAINS:
        raise ValidationError(f"account_domain {account_domain!r} is a free-mail domain")
    account_name = _text(fields, "account_name", 300)
    explicit = account_domain is not None or account_name is not None
    return ContactRecord(
        email=email,
        line=line,
        name=name[:300] if name else None,
        topics=_topics(fields.get("topics")),
        persona=_text(fields, "persona", 100),
        crm_id=_text(fields, "crm_id", 255),
        account_domain=account_domain,
        account_name=account_name,
        derived_domain=None if explicit else company_domain(email),
    )


def account_record(fields: dict[str, Any], line: int, key: str) -> AccountRecord:
    """One validated account; raise :class:`ValidationError` with the reason."""
    traits = fields.get("traits") or {}
    if not isinstance(traits, dict):
        raise ValidationError("traits must be a JSON object")
    record = AccountRecord(
        line=line,
        name=_text(fields, "name", 300),
        domain=_domain(fields, "domain"),
        crm_id=_text(fields, "crm_id", 255),
        group_id=_text(fields, "group_id", 255),
        traits=traits,
    )
    if not getattr(record, key):
        raise ValidationError(
            f"the account has no {key}, the key accounts are matched on; fill it in, or "
            f"import with another --key ({', '.join(ACCOUNT_KEYS)})"
        )
    return record


def _fields_convert(job: Job, mapper: Mapper, plan: Plan | None) -> Any:
    """Turn a record (row values or a JSON object) into its mapped fields."""
    if plan is None:

        def from_object(value: Any) -> dict[str, Any]:
            if not isinstance(value, dict):
                raise ValidationError("line must hold a JSON object")
            return mapper.build_object(value)

        return from_object
    text = job.reader.text
    build = mapper.build_row
    return lambda values: build(plan, values, text)


def _open(
    kind: str,
    schema: Schema,
    path: Path | str,
    fmt: str | None,
    mapping: Mapping[str, str] | None,
    chunk_size: int,
) -> tuple[Job, Mapper, Plan | None]:
    job = Job.open(kind, Path(path), fmt, max_record_bytes=64 * 1024, chunk_size=chunk_size)
    try:
        mapper = Mapper(schema, mapping)
        return job, mapper, job.plan(mapper)
    except BaseException:
        job.reader.close()
        raise


def import_contacts(
    directory: SqlDirectory,
    *,
    workspace_id: int,
    path: Path | str,
    fmt: str | None = None,
    mapping: Mapping[str, str] | None = None,
    chunk_size: int = 5_000,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Create or update contacts by e-mail (status ``known``); rerunning changes nothing.

    The account comes from an ``account_domain``/``account_name`` column, else from the
    e-mail's company domain (none for free-mail addresses). A later ``identify`` with the
    same e-mail merges the web visitor into the imported contact.

    Raises:
        ValidationError: the file, its format or the mapping is unusable (nothing stored).
        StoreError: a chunk could not be written; earlier chunks are stored.
    """
    job, mapper, plan = _open("contacts", CONTACT_SCHEMA, path, fmt, mapping, chunk_size)
    if plan is not None and "email" not in plan.fields:
        job.reader.close()
        raise ValidationError(
            "no column maps to email; map the e-mail column, e.g. --map Email=email"
        )
    fields_of = _fields_convert(job, mapper, plan)

    def convert(line: int, value: Any) -> ContactRecord:
        return contact_record(fields_of(value), line)

    def write(records: list[ContactRecord], rejects: list[Rejected]) -> None:
        result = directory.upsert_contacts(workspace_id, records, rejects)
        _count(job.report, result.created, result.updated, result.unchanged)

    report = job.run(convert, write, chunk_size=chunk_size, progress=progress)
    report.ignored_columns = tuple(sorted(set(report.ignored_columns) | mapper.ignored))
    return report


def import_accounts(
    directory: SqlDirectory,
    *,
    workspace_id: int,
    path: Path | str,
    fmt: str | None = None,
    mapping: Mapping[str, str] | None = None,
    key: str | None = None,
    chunk_size: int = 5_000,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Create or update accounts matched on ``key``: domain, name or crm_id.

    Without ``key``: ``domain`` when a column maps to it, else ``crm_id``, else ``name``.
    Every column that is not name, domain or crm_id is kept as an account trait.

    Raises:
        ValidationError: the file, its format, the key or the mapping is unusable.
        StoreError: a chunk could not be written; earlier chunks are stored.
    """
    if key is not None and key not in ACCOUNT_KEYS:
        raise ValidationError(f"--key must be one of {', '.join(ACCOUNT_KEYS)}; got {key!r}")
    job, mapper, plan = _open("accounts", ACCOUNT_SCHEMA, path, fmt, mapping, chunk_size)
    match = key or _default_key(plan)
    if plan is not None and match not in plan.fields:
        job.reader.close()
        raise ValidationError(
            f"no column maps to {match}, the key accounts are matched on; map one "
            f"(e.g. --map account={match}) or choose --key {'|'.join(ACCOUNT_KEYS)}"
        )
    fields_of = _fields_convert(job, mapper, plan)
    source = job.report.source

    def convert(line: int, value: Any) -> AccountRecord:
        return account_record(fields_of(value), line, match)

    def write(records: list[AccountRecord], rejects: list[Rejected]) -> None:
        result = directory.upsert_accounts(workspace_id, records, rejects, key=match, source=source)
        _count(job.report, result.created, result.updated, result.unchanged)
        job.report.rejected += len(result.rejected)
        room = 5 - len(job.report.first_rejects)
        job.report.first_rejects.extend(result.rejected[: max(room, 0)])

    report = job.run(convert, write, chunk_size=chunk_size, progress=progress)
    report.ignored_columns = tuple(sorted(set(report.ignored_columns) | mapper.ignored))
    return report


def _default_key(plan: Plan | None) -> str:
    if plan is None:
        return "domain"
    fields = plan.fields
    return next((k for k in ("domain", "crm_id", "name") if k in fields), "domain")


def _count(report: ImportReport, created: int, updated: int, unchanged: int) -> None:
    report.stored += created
    report.updated += updated
    report.duplicates += unchanged
