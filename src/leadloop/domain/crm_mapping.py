"""Configurable mapping from a CRM's fields and stages onto :class:`Opportunity`.

A mapping is ``{crm field: our field}`` (dotted CRM paths such as ``Account.Website`` reach
into related records); each CRM has defaults, and a YAML file or the settings override
them per field. Stages map onto ``open``/``won``/``lost``; a CRM's own closed/won flags win
over the stage words when the mapping provides them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final

from leadloop.domain.accounts import domain_from_website
from leadloop.domain.crm import LOST, OPEN, OPPORTUNITY_STATUSES, WON, Opportunity, opportunity_type
from leadloop.errors import ValidationError

OUR_FIELDS: Final = (
    "crm_id", "name", "amount", "currency", "stage", "is_closed", "is_won", "created_at",
    "close_date", "owner", "type", "last_modified", "account_crm_id", "account_domain",
    "account_name",
)  # fmt: skip

SALESFORCE_FIELDS: Final = {
    "Id": "crm_id",
    "Name": "name",
    "Amount": "amount",
    "StageName": "stage",
    "IsClosed": "is_closed",
    "IsWon": "is_won",
    "CreatedDate": "created_at",
    "CloseDate": "close_date",
    "Owner.Name": "owner",
    "Type": "type",
    "SystemModstamp": "last_modified",
    "AccountId": "account_crm_id",
    "Account.Website": "account_domain",
    "Account.Name": "account_name",
}
HUBSPOT_FIELDS: Final = {
    "id": "crm_id",
    "dealname": "name",
    "amount": "amount",
    "deal_currency_code": "currency",
    "dealstage": "stage",
    "hs_is_closed": "is_closed",
    "hs_is_closed_won": "is_won",
    "createdate": "created_at",
    "closedate": "close_date",
    "owner.email": "owner",
    "dealtype": "type",
    "hs_lastmodifieddate": "last_modified",
    "company.id": "account_crm_id",
    "company.domain": "account_domain",
    "company.name": "account_name",
}
FILE_FIELDS: Final = {f: f for f in OUR_FIELDS}

SALESFORCE_STAGES: Final = {"closed won": WON, "closed lost": LOST}
HUBSPOT_STAGES: Final = {"closedwon": WON, "closedlost": LOST}
FILE_STAGES: Final = {
    "won": WON, "closed won": WON, "closedwon": WON,
    "lost": LOST, "closed lost": LOST, "closedlost": LOST,
}  # fmt: skip


def _key(stage: str) -> str:
    return " ".join(stage.strip().lower().split())


@dataclass(frozen=True, slots=True)
class StageMap:
    """CRM stage words → ``open``/``won``/``lost``; other stages get ``unknown`` (None: refuse)."""

    stages: Mapping[str, str]
    unknown: str | None = OPEN

    @classmethod
    def of(cls, stages: Mapping[str, str], unknown: str | None = OPEN) -> StageMap:
        """Build a map, checking every status is one of ours."""
        for stage, status in stages.items():
            if status not in OPPORTUNITY_STATUSES:
                raise ValidationError(
                    f"stage {stage!r} maps to {status!r}; "
                    f"allowed: {', '.join(OPPORTUNITY_STATUSES)}"
                )
        return cls({_key(k): v for k, v in stages.items()}, unknown)

    def merged(self, overrides: Mapping[str, str]) -> StageMap:
        return StageMap.of({**self.stages, **overrides}, self.unknown)

    def status(self, stage: str, is_closed: bool | None = None, is_won: bool | None = None) -> str:
        """Our status for a stage; the CRM's own closed/won flags decide when present.

        >>> StageMap.of(SALESFORCE_STAGES).status("Negotiation/Review")
        'open'
        >>> StageMap.of(SALESFORCE_STAGES).status("Lost to rival", is_closed=True, is_won=False)
        'lost'
        """
        if is_closed is not None:
            return (WON if is_won else LOST) if is_closed else OPEN
        found = self.stages.get(_key(stage))
        if found is not None:
            return found
        if self.unknown is None:
            known = ", ".join(sorted(self.stages))
            raise ValidationError(f"stage {stage!r} is not mapped; mapped stages: {known}")
        return self.unknown


@dataclass(frozen=True, slots=True)
class FieldMapping:
    """``{crm field: our field}`` for one CRM, plus the default currency."""

    fields: Mapping[str, str]
    default_currency: str | None = None
    _ours: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for crm_field, ours in self.fields.items():
            if ours not in OUR_FIELDS:
                raise ValidationError(
                    f"field mapping {crm_field!r} -> {ours!r}: not an opportunity field; "
                    f"allowed: {', '.join(OUR_FIELDS)}"
                )
            self._ours[ours] = crm_field
        if "crm_id" not in self._ours:
            raise ValidationError("the field mapping must map some CRM field to crm_id")

    def merged(self, overrides: Mapping[str, str | None]) -> FieldMapping:
        """This mapping with overrides; a ``None`` value drops that CRM field."""
        taken = {v for v in overrides.values() if v}
        fields = {k: v for k, v in self.fields.items() if v not in taken and k not in overrides}
        fields.update({k: v for k, v in overrides.items() if v})
        return FieldMapping(fields, self.default_currency)

    def crm_fields(self) -> list[str]:
        """The CRM fields to ask for, in mapping order."""
        return list(self.fields)

    def crm_field(self, ours: str) -> str | None:
        return self._ours.get(ours)

    def value(self, raw: Mapping[str, Any], ours: str) -> Any:
        """Our field's value in a raw record: flat key (``Account.Website``) or nested path."""
        crm_field = self._ours.get(ours)
        if crm_field is None:
            return None
        if crm_field in raw:
            return raw[crm_field]
        node: Any = raw
        for part in crm_field.split("."):
            if not isinstance(node, Mapping):
                return None
            node = node.get(part)
        return node

    def record_id(self, raw: Mapping[str, Any]) -> str | None:
        value = self.value(raw, "crm_id")
        return None if value in (None, "") else str(value)


def _text(value: Any, limit: int = 255) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:limit] if text else None


def parse_flag(value: Any) -> bool | None:
    """A CRM boolean: ``True``, ``"true"``, ``"1"`` ...; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "t"):
        return True
    if text in ("false", "0", "no", "f"):
        return False
    raise ValueError(f"{value!r} is not true or false")


def parse_time(value: Any) -> datetime | None:
    """CRM timestamps: ISO text (``Z``, ``+0000``), dates, epoch milliseconds; always UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch_ms(value)
    text = str(value).strip()
    if text.isdigit() and len(text) > 10:
        return _from_epoch_ms(int(text))
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":" and "T" in text:
        text = f"{text[:-2]}:{text[-2:]}"  # Salesforce writes +0000
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _from_epoch_ms(value: float) -> datetime:
    """Epoch milliseconds as UTC; a value past the calendar is a ValueError, not a crash."""
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError) as exc:
        raise ValueError(f"{value} ms since 1970 is out of range") from exc


def parse_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    return date.fromisoformat(text) if len(text) == 10 else parse_time(text).date()  # type: ignore[union-attr]


def _amount(value: Any) -> float | None:
    if value is None or value == "":
        return None
    amount = float(str(value).replace(",", "")) if isinstance(value, str) else float(value)
    if amount != amount or amount in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    if amount < 0:
        raise ValueError(f"{amount} is negative")
    return amount


def _field(crm_id: str, name: str, parse: Any, value: Any) -> Any:
    try:
        return parse(value)
    except (TypeError, ValueError) as exc:
        shown = str(value)[:60]
        raise ValidationError(
            f"opportunity {crm_id}: {name} {shown!r} cannot be read ({exc})",
            record_id=crm_id,
            field=name,
        ) from None


def opportunity_from_record(
    raw: Mapping[str, Any], mapping: FieldMapping, stages: StageMap
) -> Opportunity:
    """One validated :class:`Opportunity` from a raw CRM record.

    Raises:
        ValidationError: naming the record and the field, e.g. a missing stage.
    """
    crm_id = mapping.record_id(raw)
    if crm_id is None:
        raise ValidationError("an opportunity has no id; every record needs its CRM id")
    value = mapping.value
    stage = _text(value(raw, "stage"), 100)
    if stage is None:
        raise ValidationError(f"opportunity {crm_id}: stage is missing", record_id=crm_id)
    is_closed = _field(crm_id, "is_closed", parse_flag, value(raw, "is_closed"))
    is_won = _field(crm_id, "is_won", parse_flag, value(raw, "is_won"))
    try:
        status = stages.status(stage, is_closed, is_won)
    except ValidationError as exc:
        raise ValidationError(f"opportunity {crm_id}: {exc.message}", record_id=crm_id) from None
    currency = _text(value(raw, "currency"), 3) or mapping.default_currency
    website = _text(value(raw, "account_domain"))
    return Opportunity(
        crm_id=crm_id[:255],
        name=_text(value(raw, "name"), 300) or crm_id[:300],
        stage=stage,
        status=status,
        amount=_field(crm_id, "amount", _amount, value(raw, "amount")),
        currency=currency.upper() if currency else None,
        account_crm_id=_text(value(raw, "account_crm_id")),
        account_domain=domain_from_website(website) if website else None,
        account_name=_text(value(raw, "account_name"), 300),
        created_at=_field(crm_id, "created_at", parse_time, value(raw, "created_at")),
        close_date=_field(crm_id, "close_date", parse_date, value(raw, "close_date")),
        owner=_text(value(raw, "owner")),
        type=opportunity_type(value(raw, "type")),
        last_modified=_field(crm_id, "last_modified", parse_time, value(raw, "last_modified")),
    )
