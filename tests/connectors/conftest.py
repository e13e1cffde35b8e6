"""The fake CRM server (real TLS, real client libraries) and connectors pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from crm_server import CrmServer, CrmState


@pytest.fixture(scope="session")
def crm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrmServer]:
    server = CrmServer(Path(tmp_path_factory.mktemp("crm"))).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def crm(crm_server: CrmServer) -> CrmState:
    """Fresh CRM data and an empty request log for each test."""
    return crm_server.reset()
