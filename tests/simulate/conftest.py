"""Fixtures for the simulator tests: one small world per session; slow tests opt-in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sim_helpers import SMALL, World, make_world

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip this folder's ``slow`` tests (minutes each) unless asked for by ``-m slow`` or
    ``LEADLOOP_SLOW=1``; they stay visible as skips with the reason."""
    if "slow" in str(config.getoption("-m") or "") or os.environ.get("LEADLOOP_SLOW"):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow or LEADLOOP_SLOW=1")
    for item in items:
        if "slow" in item.keywords and HERE in item.path.parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """1,500 contacts, ~40k events over six months: seconds to build, every feature present."""
    return make_world(tmp_path_factory.mktemp("world"), SMALL)
