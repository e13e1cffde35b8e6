"""The cost ledger's records: what marketing and sales spent, per month, per budget line.

A line is one amount booked for one month against a program (a budget line such as
"Search ads - network security" or "Sales team - Europe"), optionally a campaign inside
it, and a component (what the money bought: ads, e-mail, events, content production,
staff, sales tools...). ``kind`` says which side of CPOD it is on: ``marketing`` or
``sales``. A ledger line is keyed by (month, kind, program, campaign, component): loading
the same line again replaces its amount, it never adds a second one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from leadloop.domain.metrics.revenue import COST_KINDS, CostEntry
from leadloop.errors import ValidationError

COMPONENTS: Final = (
    "ads", "email", "events", "content_production", "staff", "commissions", "tools", "other",
)  # fmt: skip
"""What a cost line bought."""

CHANNEL_COMPONENTS: Final = {
    "search ads": "ads", "social": "ads", "display": "ads", "content syndication": "ads",
    "e-mail": "email", "email": "email", "webinar": "events", "events": "events",
    "content": "content_production", "marketing salaries": "staff", "sales salaries": "staff",
    "commissions": "commissions", "sales tools": "tools",
}  # fmt: skip
"""The component a channel's spend is, when a line names a channel but no component."""

_MONTH = re.compile(r"(\d{4})-(\d{2})(?:-01)?")
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True, slots=True)
class CostLine:
    """One ledger line: ``amount`` in ``currency`` spent in the month starting ``month``."""

    month: date
    kind: str
    program: str
    amount: float
    campaign: str = ""
    channel: str = ""
    component: str = "other"
    currency: str = "USD"

    @property
    def key(self) -> tuple[date, str, str, str, str]:
        """What identifies a line: a reload with the same key replaces the amount."""
        return (self.month, self.kind, self.program, self.campaign, self.component)

    def entry(self) -> CostEntry:
        """The line as the input of the revenue metrics (``cpod``...)."""
        on = datetime(self.month.year, self.month.month, 1, tzinfo=UTC)
        return CostEntry(on, self.amount, self.kind, self.program or None, currency=self.currency)


def parse_month(text: str) -> date:
    """The first day of a month written ``YYYY-MM`` (or ``YYYY-MM-01``).

    >>> parse_month("2025-03")
    datetime.date(2025, 3, 1)
    """
    match = _MONTH.fullmatch(text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError(
            f"month {text!r} is not a month; write it as YYYY-MM (2025-03)", month=text
        )
    return date(int(match.group(1)), int(match.group(2)), 1)


def _text(record: Mapping[str, Any], name: str, limit: int) -> str:
    value = record.get(name)
    text = "" if value is None else str(value).strip()
    if len(text) > limit:
        raise ValidationError(f"cost {name} is longer than {limit} characters", field=name)
    return text


def _amount(value: Any) -> float:
    try:
        amount = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"cost amount {value!r} is not a number", amount=value) from None
    if not math.isfinite(amount) or amount < 0:
        raise ValidationError(f"cost amount {value!r} must be a number >= 0", amount=value)
    return amount


def _choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValidationError(
            f"cost {what} {value!r} is not allowed; allowed: {', '.join(allowed)}", field=what
        )
    return value


def cost_line_from_record(record: Mapping[str, Any], currency: str = "USD") -> CostLine:
    """A validated :class:`CostLine` from mapped fields (month, kind, program, amount, ...).

    Raises:
        ValidationError: naming the field and what is allowed.
    """
    program = _text(record, "program", 200)
    if not program:
        raise ValidationError("cost line has no program; every line needs its budget line")
    channel = _text(record, "channel", 100)
    component = _text(record, "component", 40).lower().replace(" ", "_")
    component = component or CHANNEL_COMPONENTS.get(channel.lower(), "other")
    money = (_text(record, "currency", 3) or currency).upper()
    if not _CURRENCY.fullmatch(money):
        raise ValidationError(f"cost currency {money!r} is not a 3-letter ISO code")
    return CostLine(
        month=parse_month(_text(record, "month", 10)),
        kind=_choice(_text(record, "kind", 20).lower(), COST_KINDS, "kind"),
        program=program,
        amount=_amount(record.get("amount")),
        campaign=_text(record, "campaign", 200),
        channel=channel,
        component=_choice(component, COMPONENTS, "component"),
        currency=money,
    )
