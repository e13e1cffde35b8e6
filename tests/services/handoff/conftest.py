"""Fixtures for hand-off tests: the real store, a verifying receiver and an SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from desk_helpers import Desk, make_desk

from handoff_helpers import Receiver, SmtpServer

if TYPE_CHECKING:
    from conftest import StoreHandle


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def desk(store: StoreHandle, receiver: Receiver, smtp: SmtpServer) -> Iterator[Desk]:
    d = make_desk(store, receiver, smtp)
    try:
        yield d
    finally:
        d.container.close()
