"""Structured logging: stable event names with ``key=value`` fields, or JSON lines.

Call sites log ``logger.info("ingest.batch", extra={"fields": {...}})`` so every key event
has a stable name and machine-readable fields. Never log a full e-mail or IP address: use
:func:`mask_email`.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any, TextIO


def mask_email(email: str | None) -> str:
    """``ana.silva@acme.example`` → ``a***@acme.example``."""
    if not email or "@" not in email:
        return "-"
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"


class KeyValueFormatter(logging.Formatter):
    """``2026-11-25T10:00:00 INFO leadloop.api ingest.batch accepted=97 rejected=3``."""

    def __init__(self, as_json: bool = False) -> None:
        super().__init__()
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = getattr(record, "fields", {}) or {}
        if self.as_json:
            body = {
                "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
                "level": record.levelname,
                "logger": record.name,
                "event": record.getMessage(),
                **fields,
            }
            return json.dumps(body, default=str)
        pairs = " ".join(f"{k}={v}" for k, v in fields.items())
        line = f"{self.formatTime(record, '%Y-%m-%dT%H:%M:%S')} {record.levelname} "
        line += f"{record.name} {record.getMessage()} {pairs}".rstrip()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to ``sys.stderr`` as it is when a record is emitted, not as it was when logging
    was configured: a test runner (Click's ``CliRunner``) or an embedding application may
    swap it, and a handler holding the old, closed stream fails every later record."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        """Ignored: the stream is always the current ``sys.stderr``."""


def configure_logging(level: str = "INFO", as_json: bool = False) -> None:
    """Route ``leadloop.*`` loggers to stderr with the key=value (or JSON) format."""
    handler = StderrHandler()
    handler.setFormatter(KeyValueFormatter(as_json=as_json))
    root = logging.getLogger("leadloop")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
