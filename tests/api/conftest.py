"""Fixtures for API tests: the real app around the parametrised store, called in process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from api_helpers import CLIENT_IP, Api

from leadloop.api.app import create_app
from leadloop.bootstrap import Container

if TYPE_CHECKING:
    from conftest import Workspace


@pytest.fixture
def api(container: Container, workspace: Workspace) -> Iterator[Api]:
    app = create_app(container)
    transport = httpx.ASGITransport(app=app, client=(CLIENT_IP, 51000))
    with start_blocking_portal() as portal:
        client = httpx.AsyncClient(transport=transport, base_url="http://leadloop.test")
        try:
            yield Api(portal, client, workspace.write_key, container.engine, workspace.id)
        finally:
            portal.call(client.aclose)
