"""Revenue and lifecycle metrics, each defined once (docs/metrics.md has the definitions).

Pure standard library. Inputs are plain records any engine can produce: costs by period
(:class:`CostEntry`), opportunities (:class:`Opportunity`) and lifecycle transitions
(:class:`Transition`).
"""

from leadloop.domain.metrics.content import Influence, content_influence
from leadloop.domain.metrics.funnel import (
    FUNNEL,
    NurturePeriod,
    Transition,
    funnel_conversion,
    nurture_period_by_period,
    nurture_period_trend,
    nurture_periods,
    open_stays,
    time_in_stage,
)
from leadloop.domain.metrics.periods import (
    ALL_TIME,
    GRAINS,
    Durations,
    Ratio,
    TrendPoint,
    period_of,
    trend,
)
from leadloop.domain.metrics.revenue import (
    CostEntry,
    Opportunity,
    Pipeline,
    RevenueSplit,
    average_deal_size,
    booked_revenue,
    cost_per_contract_value,
    cost_per_lead,
    costs_by_period,
    cpod,
    new_customer_from_type,
    pipeline_created,
    revenue_by_customer,
    sales_cycle,
    win_rate,
)

__all__ = [
    "ALL_TIME",
    "FUNNEL",
    "GRAINS",
    "CostEntry",
    "Durations",
    "Influence",
    "NurturePeriod",
    "Opportunity",
    "Pipeline",
    "Ratio",
    "RevenueSplit",
    "Transition",
    "TrendPoint",
    "average_deal_size",
    "booked_revenue",
    "content_influence",
    "cost_per_contract_value",
    "cost_per_lead",
    "costs_by_period",
    "cpod",
    "funnel_conversion",
    "new_customer_from_type",
    "nurture_period_by_period",
    "nurture_period_trend",
    "nurture_periods",
    "open_stays",
    "period_of",
    "pipeline_created",
    "revenue_by_customer",
    "sales_cycle",
    "time_in_stage",
    "trend",
    "win_rate",
]
