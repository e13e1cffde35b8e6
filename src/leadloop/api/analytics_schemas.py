"""Bodies of the cost ledger and report endpoints, as the OpenAPI spec shows them."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class CostCreate(BaseModel):
    """One cost line; the same month/kind/program/campaign/component replaces the amount."""

    month: str = Field(description="YYYY-MM.", examples=["2025-03"])
    kind: str = Field(description="marketing or sales.")
    program: str = Field(description="The budget line (program).")
    amount: float = Field(ge=0, description="What it cost that month.")
    campaign: str = Field(default="", description="A campaign inside the program.")
    channel: str = Field(default="", description="search ads, e-mail, events, ...")
    component: str = Field(
        default="", description="ads, email, events, content_production, staff, commissions, "
        "tools, other; default: from the channel."
    )  # fmt: skip
    currency: str = Field(default="USD", description="ISO 4217 code.")


class CostsCreate(BaseModel):
    """A batch of cost lines, written in one transaction."""

    data: list[CostCreate] = Field(max_length=10_000)


class CostPublic(BaseModel):
    month: date = Field(description="First day of the month.")
    kind: str
    program: str
    campaign: str
    channel: str
    component: str
    amount: float
    currency: str


class CostsPublic(BaseModel):
    data: list[CostPublic]
    count: int = Field(description="Lines returned.")
    total: float = Field(description="Sum of their amounts.")


class CostsWritten(BaseModel):
    created: int = Field(description="New lines.")
    updated: int = Field(description="Lines whose amount or currency changed.")
    unchanged: int = Field(description="Lines already there as sent.")


class CpodRow(BaseModel):
    period: str
    cut: str = Field(description="The cost cut's label (program, channel...), `(none)` uncut.")
    marketing_cost: float
    sales_cost: float
    booked_revenue: float
    cpod: float | None = Field(description="None when nothing was booked in the period.")
    change: float | None = Field(description="Change from the previous period.")


class RevenueRow(BaseModel):
    period: str
    won: int = Field(description="Deals won (closed) in the period.")
    booked_revenue: float
    new_customer_revenue: float = Field(
        description="Won amounts from accounts with no earlier won deal (or typed new)."
    )
    existing_customer_revenue: float
    contract_value: float = Field(description="Contract value of the deals won.")
    touching_program_cost: float = Field(
        description="Cost booked in the period for the programs that touched those deals."
    )
    cost_per_contract_value: float | None = Field(
        description="touching_program_cost / contract_value; None when nothing was won."
    )
    leads_created: int = Field(description="Contacts that became known in the period.")
    marketing_cost: float
    cost_per_lead: float | None = Field(
        description="marketing_cost / leads_created: shown beside revenue, never alone."
    )


class PipelineRow(BaseModel):
    period: str
    cut: str = Field(description="The cut's label, `(none)` when uncut or unknown.")
    created: int
    created_amount: float
    won: int
    lost: int
    win_rate: float | None
    won_amount: float
    average_deal_size: float | None
    mean_cycle_days: float | None


class FunnelRow(BaseModel):
    period: str
    cut: str
    from_stage: str
    to_stage: str
    entered: float
    converted: float
    conversion: float | None


class NurtureRow(BaseModel):
    period: str
    cut: str
    arrivals: int
    mean_days: float | None
    median_days: float | None
    change: float | None


class AttributionRow(BaseModel):
    period: str
    key: str = Field(description="The credited channel, program or content id.")
    conversions: float
    value: float
    share: float | None


class ReportMeta(BaseModel):
    name: str
    title: str
    engine: str
    by: str = Field(description="month, quarter, year or all.")
    count: int = Field(description="Rows.")


class CpodReport(ReportMeta):
    data: list[CpodRow]


class RevenueReport(ReportMeta):
    data: list[RevenueRow]


class PipelineReport(ReportMeta):
    data: list[PipelineRow]


class FunnelReport(ReportMeta):
    data: list[FunnelRow]


class NurtureReport(ReportMeta):
    data: list[NurtureRow]


class AttributionReport(ReportMeta):
    data: list[AttributionRow]
