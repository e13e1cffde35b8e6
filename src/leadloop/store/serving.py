"""Whether a Leadloop server is using a SQLite store right now, so that other writers can
be polite to it.

SQLite has one write lock. A bulk import holding it for a 50,000-line transaction (about a
second) makes the server's tracking writes wait that long; at 10,000 lines they wait a fifth
as long (bench/RESULTS.md). The server holds a shared ``flock`` on ``<store>.serving`` for as
long as it runs, and an import asks whether anyone does. The operating system drops the lock
with the process, however it ends, so a crashed server never leaves a stale marker; the empty
file itself stays, and means nothing on its own. PostgreSQL needs none of this (row locks),
and neither do in-memory stores or systems without ``fcntl``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import make_url

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock
    fcntl = None  # type: ignore[assignment]


def marker_path(url: str) -> Path | None:
    """``sqlite:///leadloop.db`` → ``leadloop.db.serving``; ``None`` for any other store."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):  # a URI filename: not worth parsing, be silent
        return None
    return Path(database).with_name(Path(database).name + ".serving")


@contextmanager
def serving(url: str) -> Iterator[None]:
    """Mark the store as served while the block runs (a no-op where there is no marker)."""
    path = marker_path(url)
    if path is None or fcntl is None:
        yield
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:  # a read-only directory: the server still runs, unmarked
        yield
        return
    try:
        with suppress(OSError):  # a file system without flock: unmarked, as above
            fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # releases the lock


def server_running(url: str) -> bool:
    """Whether a process holds the store's marker (a ``leadloop serve`` or demo server)."""
    path = marker_path(url)
    if path is None or fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # no marker: no server has run here, or it cannot be read
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False
