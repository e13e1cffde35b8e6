"""`leadloop serve`: the API (tracking + admin) under uvicorn, and its background process.

With ``LEADLOOP_PROFILE_WORKER=process`` (the default on PostgreSQL) the profile updater and
the hand-off delivery worker run in one supervised child (`leadloop background`), woken after
every group commit through a Unix datagram socket, so folding events does not share the GIL
with ingest. ``thread`` (the default on SQLite) runs both in threads of this process (with
``--workers N`` the profile worker runs in every app process); ``off`` runs neither here.

Why the defaults differ (bench/RESULTS.md, 2026-12-02): on PostgreSQL the child halved the
ingest → webhook p99 under load; on SQLite every profile transaction holds the store's one
write lock whichever process runs it, and on the 2-core reference machine the thread gave
the same or more requests/s and a lower paced p99 than the child.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Literal

import typer
import uvicorn

from leadloop.bootstrap import bootstrap
from leadloop.cli.context import DatabaseOption, console
from leadloop.cli.supervisor import Supervisor
from leadloop.config import Settings
from leadloop.logging import configure_logging
from leadloop.services.handoff.worker import start_in_thread
from leadloop.store.migrate import upgrade
from leadloop.store.serving import serving

Mode = Literal["thread", "process", "off"]


def resolve_mode(settings: Settings) -> Mode:
    """`serve`'s default: ``process`` on PostgreSQL and with the ingest inbox (the HTTP
    process then never writes the main store, so the child drains it without waiting for a
    lock), ``thread`` on SQLite otherwise; an explicit setting (environment, .env) wins."""
    if "profile_worker" in settings.model_fields_set:
        return settings.profile_worker
    return "thread" if settings.is_sqlite and not settings.ingest_inbox else "process"


def _exit_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    """uvicorn re-raises the signal it shut down for: make SIGTERM unwind like Ctrl-C, so the
    ``finally`` below stops the background process."""
    raise SystemExit(128 + signum)


def serve(
    host: str | None = typer.Option(None, help="Address to listen on (default 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default 8000)."),
    workers: int = typer.Option(
        1, min=1, help="Worker processes; each has its own group-commit writer."
    ),
    delivery: bool = typer.Option(
        True,
        help="Also run the hand-off delivery worker (in the background process, or in "
        "this process with LEADLOOP_PROFILE_WORKER=thread).",
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Serve the tracking API, the admin API and the docs page until Ctrl-C."""
    if database_url:
        os.environ["LEADLOOP_DATABASE_URL"] = database_url
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    container = bootstrap(settings)
    upgrade(container.engine)
    container.close()
    host = host or settings.host
    port = port or settings.port
    mode = resolve_mode(settings)
    console.print(f"Leadloop API on [bold]http://{host}:{port}[/]  docs: http://{host}:{port}/docs")
    os.environ["LEADLOOP_PROFILE_WORKER"] = mode  # the app processes read their settings anew
    runtime_dir: Path | None = None
    supervisor: Supervisor | None = None
    background = None
    thread = stop = None
    if mode == "process":
        runtime_dir = Path(tempfile.mkdtemp(prefix=f"ll-serve-{os.getpid()}-"))
        if len(str(runtime_dir)) > 90:  # a Unix socket path has at most 107 bytes
            runtime_dir.rmdir()
            runtime_dir = Path(tempfile.mkdtemp(prefix=f"ll-serve-{os.getpid()}-", dir="/tmp"))
        wake = str(runtime_dir / "wake.sock")
        os.environ["LEADLOOP_BACKGROUND_SOCKET"] = wake
        argv = [sys.executable, "-m", "leadloop.cli.main", "background",
                "--wake-socket", wake, "--parent-pid", str(os.getpid())]  # fmt: skip
        if not delivery:
            argv.append("--no-delivery")
        supervisor = Supervisor(argv, dict(os.environ)).start()
    elif delivery:
        background = bootstrap(settings)
        thread, stop = start_in_thread(background.delivery_worker())
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        with serving(settings.database_url):  # imports beside it take smaller transactions
            uvicorn.run(
                "leadloop.api.app:create_app_from_env",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level="warning",
            )
    finally:
        signal.signal(signal.SIGTERM, previous)
        if supervisor is not None:
            supervisor.stop()
        if runtime_dir is not None:
            shutil.rmtree(runtime_dir, ignore_errors=True)
        if thread is not None and stop is not None and background is not None:
            stop.set()
            thread.join(timeout=10)
            background.close()
