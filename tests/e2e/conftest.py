"""Fixtures for end-to-end tests: a real server process on the parametrised store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from e2e_helpers import LiveServer

if TYPE_CHECKING:
    from conftest import StoreHandle, Workspace


@pytest.fixture
def live_server(store: StoreHandle, workspace: Workspace, tmp_path: Path) -> Iterator[LiveServer]:
    """`leadloop serve` on a free port of this machine, stopped after the test."""
    server = LiveServer(store.url, tmp_path / "server.log").start()
    try:
        yield server
    finally:
        server.stop()
