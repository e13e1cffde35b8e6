"""Fixtures for API tests: the real app around the parametrised store, called in process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from api_helpers import Api, in_process_api

from leadloop.bootstrap import Container

if TYPE_CHECKING:
    from conftest import Workspace


@pytest.fixture
def api(container: Container, workspace: Workspace) -> Iterator[Api]:
    with in_process_api(container, workspace.write_key, workspace.id) as client:
        yield client
