"""The analytics queries, each written once as an Ibis expression over a :class:`Warehouse`.

These turn the store into the inputs of the domain metrics (docs/metrics.md says which
metric the engine finishes and which a domain fold finishes). Periods come back as integer
keys (``202503`` by month, ``20251`` by quarter, ``2025`` by year, ``0`` for all time);
:func:`period_label` turns them into the domain's labels.
"""

from __future__ import annotations

from datetime import date
from typing import Final

import ibis
from ibis.expr.types import Column, Table

from leadloop.analytics.warehouse import Warehouse
from leadloop.domain.lifecycle import MARKETING_STAGES, SALES_SOURCING_ACTOR
from leadloop.domain.metrics.periods import check_grain, period_of
from leadloop.errors import ValidationError

NONE: Final = "(none)"
OPPORTUNITY_CUTS: Final = ("segment", "sector", "region", "rep", "product", "type")
LEAD_CUTS: Final = ("segment", "sector", "region", "persona")
COST_CUTS: Final = ("program", "campaign", "channel", "component", "kind")


def period_key(ts: Column, grain: str | None) -> Column:
    """The integer period key of a date or timestamp column at ``grain``."""
    check_grain(grain)
    if grain is None:
        return ibis.literal(0, "int64")
    year = ts.year().cast("int64")
    if grain == "month":
        return year * 100 + ts.month().cast("int64")
    if grain == "quarter":
        return year * 10 + ts.quarter().cast("int64")
    return year


def period_label(key: int, grain: str | None) -> str:
    """The domain label (``2025-Q1``) of an integer period key."""
    if grain is None:
        return period_of(date(2000, 1, 1), None)
    if grain == "month":
        return period_of(date(key // 100, key % 100, 1), grain)
    if grain == "quarter":
        return period_of(date(key // 10, (key % 10) * 3 - 2, 1), grain)
    return period_of(date(key, 1, 1), grain)


def period_start(key: int, grain: str | None) -> date:
    """The first day of the period with integer key ``key``."""
    if grain == "month":
        return date(key // 100, key % 100, 1)
    if grain == "quarter":
        return date(key // 10, (key % 10) * 3 - 2, 1)
    return date(key if grain == "year" else 2000, 1, 1)


def _check_cut(cut: str | None, allowed: tuple[str, ...], what: str) -> None:
    if cut is not None and cut not in allowed:
        raise ValidationError(
            f"{what} cannot be cut by {cut!r}; allowed: {', '.join(allowed)}", cut=cut
        )


def _label(value: Column) -> Column:
    return value.cast("string").fill_null(NONE)


def opportunity_frame(wh: Warehouse, cut: str | None = None) -> Table:
    """Opportunities with their ``cut`` label (account segment/sector/region, rep, product)."""
    _check_cut(cut, OPPORTUNITY_CUTS, "opportunities")
    o = wh.table("opportunities")
    if cut in ("segment", "sector", "region"):
        a = wh.table("accounts")
        dim = a.select(aid=a.id, label=a[cut])
        joined = o.left_join(dim, o.account_id == dim.aid)
        return joined.select(*o.columns, cut=_label(joined.label))
    column = {"rep": "owner", "product": "name", "type": "type"}.get(cut or "")
    return o.mutate(cut=_label(o[column]) if column else ibis.literal(NONE))


def pipeline_query(wh: Warehouse, grain: str | None, cut: str | None = None) -> Table:
    """Opportunities created per period (and cut): count and amount (``pipeline_created``)."""
    o = opportunity_frame(wh, cut)
    return (
        o.group_by(period=period_key(o.created_at, grain), cut=o.cut)
        .aggregate(created=o.count(), created_amount=o.amount.fill_null(0.0).sum())
        .order_by("period", "cut")
    )


def closed_query(wh: Warehouse, grain: str | None, cut: str | None = None) -> Table:
    """Deals closed per period (and cut): won, lost, won amount and days to close of wins."""
    o = opportunity_frame(wh, cut)
    o = o.filter(o.status.isin(("won", "lost")), o.close_date.notnull())
    won = o.status == "won"
    days = (o.close_date.epoch_days() - o.created_at.date().epoch_days()).cast("float64")
    return (
        o.group_by(period=period_key(o.close_date, grain), cut=o.cut)
        .aggregate(
            won=won.ifelse(1, 0).cast("int64").sum(),
            lost=won.ifelse(0, 1).cast("int64").sum(),
            won_amount=won.ifelse(o.amount.fill_null(0.0), 0.0).sum(),
            won_days=won.ifelse(days, 0.0).sum(),
        )
        .order_by("period", "cut")
    )


def cost_query(wh: Warehouse, grain: str | None, cut: str | None = None) -> Table:
    """Cost per period, kind and currency (and cut: program, campaign, channel, component)."""
    _check_cut(cut, COST_CUTS, "costs")
    c = wh.table("cost_entries")
    label = _label(c[cut]) if cut else ibis.literal(NONE)
    return (
        c.group_by(period=period_key(c.month, grain), kind=c.kind, currency=c.currency, cut=label)
        .aggregate(amount=c.amount.sum())
        .order_by("period", "kind", "cut")
    )


def booked_query(wh: Warehouse, grain: str | None) -> Table:
    """Order revenue booked per period: won amounts on their close date."""
    o = wh.table("opportunities")
    o = o.filter(o.status == "won", o.close_date.notnull())
    return (
        o.group_by(period=period_key(o.close_date, grain), currency=o.currency.fill_null("USD"))
        .aggregate(amount=o.amount.fill_null(0.0).sum())
        .order_by("period")
    )


def lead_labels(wh: Warehouse, cut: str | None) -> Table:
    """Each contact's ``cut`` label: its persona, or its account's segment/sector/region."""
    _check_cut(cut, LEAD_CUTS, "leads")
    ct = wh.table("contacts")
    if cut in ("segment", "sector", "region"):
        a = wh.table("accounts")
        dim = a.select(aid=a.id, label=a[cut])
        j = ct.left_join(dim, ct.account_id == dim.aid)
        return j.select(contact_id=j.id, cut=_label(j.label))
    return ct.select(contact_id=ct.id, cut=_label(ct.persona) if cut else ibis.literal(NONE))


def funnel_entries(wh: Warehouse, grain: str | None) -> Table:
    """Per lead and state: its first entry in each period and its last entry ever.

    That is all ``funnel_conversion`` reads: a cohort is a lead's first entry into a stage
    in a period, and it converted when its last entry into the next stage is not earlier.
    """
    t = _marketing_view(wh.table("lead_transitions"))
    first = t.group_by(contact_id=t.contact_id, to_state=t.to_state,
                       period=period_key(t.at, grain)).aggregate(at=t.at.min())  # fmt: skip
    last = t.group_by(contact_id=t.contact_id, to_state=t.to_state).aggregate(at=t.at.max())
    return first.drop("period").union(last.select("contact_id", "to_state", "at"), distinct=True)


def nurture_inputs(wh: Warehouse) -> tuple[Table, Table]:
    """Arrivals at ``sales_ready`` and recycles, and each lead's first recorded transition."""
    t = wh.table("lead_transitions")
    counted = _marketing_view(t)
    moves = counted.filter(counted.to_state.isin(("sales_ready", "recycled"))).select(
        "contact_id", "from_state", "to_state", "at"
    )
    first = t.group_by("contact_id").aggregate(first_at=t.at.min())
    return moves, first


def _marketing_view(t: Table) -> Table:
    """Transitions without the CRM's implied steps through marketing's stages
    (:func:`leadloop.domain.lifecycle.counts_for_marketing`, as a predicate)."""
    crm = t.actor_kind == SALES_SOURCING_ACTOR
    return t.filter(~(crm & t.to_state.isin(MARKETING_STAGES)))


def touch_rows(wh: Warehouse) -> Table:
    """Touches of identified people with the contact's account and the program's channel.

    A touch's channel is the cost ledger's channel of its program (``context.campaign``
    name), else the campaign's medium.
    """
    t, ct, c = wh.table("touches"), wh.table("contacts"), wh.table("cost_entries")
    channels = c.group_by(prog=c.program).aggregate(ledger_channel=c.channel.max())
    people = ct.select(cid=ct.id, account_id=ct.account_id)
    j = t.left_join(people, t.contact_id == people.cid)
    j = j.left_join(channels, j.program == channels.prog)
    return j.select(
        contact_id=j.contact_id, account_id=j.account_id, at=j.at, kind=j.kind,
        program=j.program, channel=j.ledger_channel.fill_null(j.medium), content=j.content,
    ).filter(ibis._.program.notnull() | ibis._.content.notnull())  # fmt: skip


def outcome_rows(wh: Warehouse) -> Table:
    """Opportunities with their primary (else any) contact, for attribution outcomes."""
    o, oc = wh.table("opportunities"), wh.table("opportunity_contacts")
    contact = oc.group_by(oid=oc.opportunity_id).aggregate(contact_id=oc.contact_id.min())
    j = o.left_join(contact, o.id == contact.oid)
    return j.select(
        opportunity_id=j.id, account_id=j.account_id, contact_id=j.contact_id,
        status=j.status, amount=j.amount.fill_null(0.0), created_at=j.created_at,
        close_date=j.close_date,
    )  # fmt: skip


def stage_days(wh: Warehouse, from_state: str, to_state: str, cut: str | None = None) -> Table:
    """Per lead: days from its first entry into ``from_state`` to its first entry into
    ``to_state`` at or after it (time to close from sales_ready to won), with its label."""
    t = _marketing_view(wh.table("lead_transitions"))
    start = (
        t.filter(t.to_state == from_state).group_by(sid=t.contact_id).aggregate(start=t.at.min())
    )
    end = t.filter(t.to_state == to_state)
    j = end.join(start, (end.contact_id == start.sid) & (end.at >= start.start))
    first = j.group_by(contact_id=j.contact_id).aggregate(start=j.start.min(), end=j.at.min())
    labels = lead_labels(wh, cut)
    k = first.left_join(labels, first.contact_id == labels.contact_id)
    seconds = k.end.epoch_seconds() - k.start.epoch_seconds()
    return k.select(contact_id=k.contact_id, cut=k.cut.fill_null(NONE),
                    days=seconds.cast("float64") / 86_400.0)  # fmt: skip


def won_deals(wh: Warehouse) -> Table:
    """Deals won, with their close date: what revenue and cost per contract value count."""
    o = wh.table("opportunities")
    o = o.filter(o.status == "won", o.close_date.notnull())
    return o.select(
        "id", "account_id", "created_at", "close_date", "type",
        amount=o.amount.fill_null(0.0), currency=o.currency.fill_null("USD"),
    ).order_by("id")  # fmt: skip


def won_deal_programs(wh: Warehouse, lookback_days: int | None) -> Table:
    """(deal, program) for every program that touched a won deal's account in the
    ``lookback_days`` before it closed (its close day included; None: any time before)."""
    o = won_deals(wh)
    t = touch_rows(wh)
    t = t.filter(t.program.notnull(), t.account_id.notnull())
    day_after = o.close_date.cast("timestamp") + ibis.interval(days=1)
    cond = [o.account_id == t.account_id, t.at < day_after]
    if lookback_days is not None:
        cond.append(t.at >= o.close_date.cast("timestamp") - ibis.interval(days=lookback_days))
    j = o.join(t, cond)
    return j.select(deal=j.id, program=j.program).distinct().order_by("deal", "program")


def leads_created(wh: Warehouse) -> Table:
    """When each lead became known (its first move into ``known``): cost per lead counts it."""
    t = wh.table("lead_transitions")
    t = t.filter(t.to_state == "known")
    return t.group_by("contact_id").aggregate(at=t.at.min()).order_by("contact_id")
