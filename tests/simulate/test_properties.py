"""Invariants over arbitrary small worlds: whatever the seed, size, period or start day."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sim_helpers import make_world, stage_jumps

from leadloop.simulate import SimConfig

configs = st.builds(
    SimConfig,
    seed=st.integers(0, 2**63 - 1),
    contacts=st.integers(10, 400),
    events=st.integers(0, 8_000),
    months=st.integers(1, 4),
    start=st.dates(date(2020, 1, 1), date(2030, 12, 1)),
    malformed_rate=st.sampled_from([0.0, 0.005, 0.05]),
    duplicate_rate=st.sampled_from([0.0, 0.01]),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs)
def test_any_world_is_ordered_parseable_and_never_skips_a_stage(config: SimConfig) -> None:
    with tempfile.TemporaryDirectory() as folder:
        world = make_world(Path(folder), config)
        messages, summary = world.events.messages, world.summary
        stamps = [m.timestamp for m in messages]
        assert stamps == sorted(stamps)
        if stamps:
            assert config.start <= stamps[0].date()
            assert stamps[-1].date() < config.start + timedelta(days=31 * config.months)
        assert len(world.events.refused) == summary.malformed
        assert len(messages) == summary.events + summary.duplicates
        assert stage_jumps(world) == []
        assert len(world.csv("truth.csv")) == config.contacts
        assert len(world.csv("costs.csv")) % config.months == 0
