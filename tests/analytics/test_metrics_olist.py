"""Real data: the Olist marketing funnel (8,000 MQLs -> 842 closed deals).

Conversion per origin channel and time to close, from Leadloop's metric functions, equal an
independent pandas computation. One deal is dated before its lead's first contact; the
domain refuses it (an opportunity cannot close before it was created), so both sides leave
it out and the test checks it is the only one.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from leadloop.domain.metrics import Opportunity, Transition, funnel_conversion, sales_cycle
from leadloop.errors import ValidationError

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "olist-funnel"
MQLS = DATA / "olist_marketing_qualified_leads_dataset.csv"
DEALS = DATA / "olist_closed_deals_dataset.csv"

pytestmark = pytest.mark.skipif(
    not (MQLS.exists() and DEALS.exists()),
    reason=f"Olist funnel data not found in {DATA} (see its SOURCE.md to fetch it)",
)


def load() -> tuple[dict[str, str], list[Transition], list[Opportunity], list[str]]:
    """Origins by lead, lifecycle transitions, won opportunities, rejected deal ids."""
    origin, first = {}, {}
    with MQLS.open(newline="") as f:
        for row in csv.DictReader(f):
            origin[row["mql_id"]] = row["origin"] or "(none)"
            first[row["mql_id"]] = datetime.fromisoformat(row["first_contact_date"])
    transitions = [Transition(m, "sales_ready", at) for m, at in first.items()]
    opportunities, rejected = [], []
    with DEALS.open(newline="") as f:
        for row in csv.DictReader(f):
            mql, won = row["mql_id"], datetime.fromisoformat(row["won_date"])
            try:
                opportunities.append(Opportunity(mql, mql, first[mql], 0.0, "won", closed_at=won))
            except ValidationError:
                rejected.append(mql)
                continue
            transitions.append(Transition(mql, "won", won, "sales_ready"))
    return origin, transitions, opportunities, rejected


def pandas_truth() -> pd.DataFrame:
    mqls = pd.read_csv(MQLS, parse_dates=["first_contact_date"])
    mqls["origin"] = mqls["origin"].fillna("(none)")
    deals = pd.read_csv(DEALS, parse_dates=["won_date"]).merge(mqls, on="mql_id")
    deals["days"] = (deals.won_date - deals.first_contact_date).dt.total_seconds() / 86_400
    bad = deals[deals.days < 0].mql_id
    deals = deals[deals.days >= 0]
    mqls = mqls[~mqls.mql_id.isin(bad)]
    out = pd.DataFrame({"mqls": mqls.groupby("origin").size()})
    out["won"] = deals.groupby("origin").size()
    out["mean_days"] = deals.groupby("origin").days.mean()
    out["median_days"] = deals.groupby("origin").days.median()
    return out.fillna({"won": 0})


def test_conversion_and_time_to_close_per_origin_equal_pandas() -> None:
    origin, transitions, opportunities, rejected = load()
    assert len(rejected) == 1 and len(opportunities) == 841
    keep = [t for t in transitions if t.lead_id not in rejected]
    conversion = funnel_conversion(keep, None, stages=("sales_ready", "won"), by=origin)
    cycle = sales_cycle(opportunities, None, by=lambda o: origin[o.opportunity_id])
    truth = pandas_truth()
    assert len(truth) == 11  # ten named origins and the empty one
    for name, row in truth.iterrows():
        ratio = conversion[(("all", name), "sales_ready", "won")]
        assert (ratio.numerator, ratio.denominator) == (row.won, row.mqls), name
        if row.won:
            durations = cycle[("all", name)]
            assert durations.count == row.won
            assert durations.mean_days == pytest.approx(row.mean_days, rel=1e-12)
            assert durations.median_days == pytest.approx(row.median_days, rel=1e-12)
    assert sum(r.numerator for r in conversion.values()) == 841
