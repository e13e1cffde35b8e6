"""Fixtures for store tests: a `tracker` on a fresh workspace of the parametrised store."""

from __future__ import annotations

import itertools

import pytest
from store_helpers import Tracker, TrackerFactory

from leadloop.bootstrap import Container

_slugs = itertools.count()


@pytest.fixture
def new_tracker(container: Container) -> TrackerFactory:
    """Make a tracker on a fresh workspace; all share the container's one ingest store."""

    def make() -> Tracker:
        ws = container.workspaces.create_workspace(f"ws-{next(_slugs)}")
        source = container.workspaces.source_id(ws, "website")
        return Tracker(container.engine, container.ingest_store, ws, source)

    return make


@pytest.fixture
def tracker(new_tracker: TrackerFactory) -> Tracker:
    return new_tracker()
