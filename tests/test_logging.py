"""Structured logging (leadloop/logging.py): where records go when stderr is swapped."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest

from leadloop.logging import configure_logging


@pytest.fixture
def leadloop_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger("leadloop")
    saved = (root.handlers[:], root.level, root.propagate)
    yield root
    root.handlers[:], root.level, root.propagate = saved[0], saved[1], saved[2]


def test_records_follow_stderr_after_a_swapped_stream_is_closed(
    leadloop_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What CliRunner does: stderr is a temporary stream while a command runs (and logging
    is configured then), closed afterwards; later records must reach the stderr of now."""
    during = io.StringIO()
    monkeypatch.setattr(sys, "stderr", during)
    configure_logging("INFO")
    logging.getLogger("leadloop.test").info("during.command", extra={"fields": {"n": 1}})
    during.close()
    after = io.StringIO()
    monkeypatch.setattr(sys, "stderr", after)
    logging.getLogger("leadloop.test").info("after.command", extra={"fields": {"n": 2}})
    text = after.getvalue()
    assert "Logging error" not in text
    assert "INFO leadloop.test after.command n=2" in text
