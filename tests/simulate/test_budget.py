"""Sizes: the event target is met closely, and the demo preset is fast."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from leadloop.errors import ValidationError
from leadloop.simulate import SimConfig, generate


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"contacts": 2_000, "events": 80_000, "months": 24, "seed": 3},
        {"contacts": 8_000, "events": 150_000, "months": 6, "start": date(2024, 7, 15)},
    ],
    ids=["demo", "long-period", "short-period"],
)
def test_event_count_lands_near_the_target(tmp_path: Path, overrides: dict[str, object]) -> None:
    config = SimConfig.preset("demo", **overrides)
    summary = generate(tmp_path, config)
    assert abs(summary.events / config.events - 1) < 0.1, summary.events


def test_demo_preset_generates_in_seconds(tmp_path: Path) -> None:
    summary = generate(tmp_path, SimConfig.preset("demo"))
    assert summary.contacts == 5_000
    assert summary.seconds < 20
    # Enough pipeline for the dashboards, with a believable win rate and CPOD.
    assert summary.opportunities > 150
    assert 0.25 < summary.won / (summary.won + summary.lost) < 0.6
    assert summary.cpod is not None and 0.1 < summary.cpod < 0.6


def test_preset_overrides_and_validation() -> None:
    config = SimConfig.preset("bench", events=None, seed=9)
    assert (config.contacts, config.events, config.seed) == (1_000_000, 20_000_000, 9)
    with pytest.raises(ValidationError, match="unknown size 'huge'"):
        SimConfig.preset("huge")
    with pytest.raises(ValidationError, match="months must be between 1 and 60"):
        replace(SimConfig(), months=0).validated()
