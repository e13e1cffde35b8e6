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


def journeys(wh: Warehouse, f: Filters) -> list[Journey]:
    """Every journey of the workspace under the report's level, outcome and lookback."""
    if f.level not in LEVELS or f.outcome not in OUTCOMES:
        raise ValidationError(
            f"attribution level {f.level!r} / outcome {f.outcome!r}; allowed: "
            f"levels {', '.join(LEVELS)}, outcomes {', '.join(OUTCOMES)}"
        )
    outcomes = _outcomes(_rows(outcome_rows(wh)), f)
    events: list[TouchEvent] = []
    for t in _rows(touch_rows(wh)):
        if f.channel is not None and t["channel"] != f.channel:
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
    report = Report("attribution",
                    f"Attribution of {f.outcome} to {f.dimension} ({f.model}, {f.level} level)",
                    ["period", f.dimension, "conversions", "value", "share"])  # fmt: skip
    for period in sorted(by_period):
        result = run_model(by_period[period], f.model)
        total = result.total_value
        for key, credit in sorted(result.credits.items(), key=lambda kv: -kv[1].value):
            share = credit.value / total if total else None
            report.rows.append([period, key, credit.conversions, credit.value, share])
    return report
