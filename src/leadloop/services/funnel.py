"""The funnel read from the stored lifecycle history: conversion, nurture period, time in stage."""

from __future__ import annotations

from dataclasses import dataclass

from leadloop.domain.lifecycle_measures import (
    Conversion,
    NurturePeriod,
    PeriodFigure,
    conversion,
    nurture_periods,
    nurture_trend,
    stage_spells,
    time_in_stage,
)
from leadloop.store.leads import SqlLeadStore


@dataclass(frozen=True, slots=True)
class FunnelReport:
    period: str
    conversion: list[Conversion]
    nurture: list[PeriodFigure]
    nurture_periods: list[NurturePeriod]
    time_in_stage: dict[str, PeriodFigure]


def funnel_report(store: SqlLeadStore, workspace_id: int, period: str = "month") -> FunnelReport:
    """Every measure over the workspace's whole lifecycle history."""
    history = store.history(workspace_id)
    periods = nurture_periods(history)
    return FunnelReport(
        period=period,
        conversion=conversion(history, period),
        nurture=nurture_trend(periods, period),
        nurture_periods=periods,
        time_in_stage=time_in_stage(stage_spells(history)),
    )
