"""The attribution report: journeys from events and opportunities, credits per period.

The engine joins touches to contacts, accounts and the ledger's channels, and lists the
opportunities; the domain builds journeys (:func:`build_journeys`) and a model credits
them (:func:`run_model`). At account level every opportunity of an account is its own
conversion, with the account's touches inside the lookback before it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from typing import Any

from leadloop.analytics.attribution import run_model
from leadloop.analytics.queries import outcome_rows, touch_rows
from leadloop.analytics.reports import Filters, Report, _rows
from leadloop.analytics.warehouse import Warehouse
from leadloop.domain.attribution import Journey, Outcome, TouchEvent, TouchRules, build_journeys
from leadloop.domain.metrics import period_of
from leadloop.errors import ValidationError

LEVELS = ("account", "contact")
OUTCOMES = ("pipeline", "revenue")


def _converted_at(row: dict[str, Any], outcome: str) -> datetime | None:
    if outcome == "pipeline":
        created: datetime | None = row["created_at"]
        return created
    if row["status"] != "won" or row["close_date"] is None:
        return None
    return datetime.combine(row["close_date"], time(23, 59, 59), UTC)


def _outcomes(rows: list[dict[str, Any]], f: Filters) -> dict[str, list[Outcome]]:
    """Outcomes per subject (account or contact), one per opportunity."""
    out: dict[str, list[Outcome]] = defaultdict(list)
    for r in rows:
        subject = r["account_id"] if f.level == "account" else r["contact_id"]
        at = _converted_at(r, f.outcome)
        if subject is None or at is None:
            continue
        out[str(subject)].append(
            Outcome(f"{subject}/{r['opportunity_id']}", r["amount"], at,
                    opportunity_created_at=r["created_at"])
        )  # fmt: skip
    return out


def _audience(wh: Warehouse, f: Filters) -> tuple[set[Any] | None, set[Any] | None]:
    """The accounts and the contacts a ``segment`` / ``persona`` filter keeps (None: all).

    A segment keeps its accounts' opportunities and touches. A persona keeps the touches of
    its contacts, and the opportunities of their accounts (account level) or their own
    (contact level): the credit goes to what people of that persona did.
    """
    accounts: set[Any] | None = None
    contacts: set[Any] | None = None
    if f.segment is not None:
        a = wh.table("accounts")
        accounts = {r["id"] for r in _rows(a.filter(a.segment == f.segment).select("id"))}
    if f.persona is not None:
        ct = wh.table("contacts")
        people = _rows(ct.filter(ct.persona == f.persona).select("id", "account_id"))
        contacts = {r["id"] for r in people}
        theirs = {r["account_id"] for r in people if r["account_id"] is not None}
        accounts = theirs if accounts is None else accounts & theirs
    return accounts, contacts


def journeys(wh: Warehouse, f: Filters) -> list[Journey]:
    """Every journey of the workspace under the report's level, outcome and lookback."""
    if f.level not in LEVELS or f.outcome not in OUTCOMES:
        raise ValidationError(
            f"attribution level {f.level!r} / outcome {f.outcome!r}; allowed: "
            f"levels {', '.join(LEVELS)}, outcomes {', '.join(OUTCOMES)}"
        )
    accounts, contacts = _audience(wh, f)
    opportunities = _rows(outcome_rows(wh))
    if accounts is not None:
        opportunities = [r for r in opportunities if r["account_id"] in accounts]
    if contacts is not None and f.level == "contact":
        opportunities = [r for r in opportunities if r["contact_id"] in contacts]
    outcomes = _outcomes(opportunities, f)
    events: list[TouchEvent] = []
    for t in _rows(touch_rows(wh)):
        if f.channel is not None and t["channel"] != f.channel:
            continue
        if (accounts is not None and t["account_id"] not in accounts) or (
            contacts is not None and t["contact_id"] not in contacts
        ):
            continue
        subject = t["account_id"] if f.level == "account" else t["contact_id"]
        if subject is None:
            continue
        for o in outcomes.get(str(subject)) or [Outcome(str(subject))]:
            events.append(TouchEvent(o.subject, t["at"], t["kind"], t["channel"],
                                     t["program"], t["content"]))  # fmt: skip
    lookback = timedelta(days=f.lookback_days) if f.lookback_days is not None else None
    rules = TouchRules(f.dimension, None, lookback)
    all_outcomes = [o for group in outcomes.values() for o in group]
    return build_journeys(events, all_outcomes, rules)


def attribution_report(wh: Warehouse, f: Filters) -> Report:
    """Credits per period of conversion and key (channel, program or content)."""
    by_period: dict[str, list[Journey]] = defaultdict(list)
    for j in journeys(wh, f):
        anchor = j.converted_at if j.converted and j.converted_at else j.touches[-1].at
        by_period[period_of(anchor, f.grain)].append(j)
    only = "".join(f", {k} {v}" for k, v in (("segment", f.segment), ("persona", f.persona)) if v)
    report = Report("attribution",
                    f"Attribution of {f.outcome} to {f.dimension} ({f.model}, {f.level} level"
                    f"{only})",
                    ["period", f.dimension, "conversions", "value", "share"])  # fmt: skip
    for period in sorted(by_period):
        result = run_model(by_period[period], f.model)
        total = result.total_value
        for key, credit in sorted(result.credits.items(), key=lambda kv: -kv[1].value):
            share = credit.value / total if total else None
            report.rows.append([period, key, credit.conversions, credit.value, share])
    return report
