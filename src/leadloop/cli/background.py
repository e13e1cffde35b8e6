"""`leadloop background`: the profile updater and the hand-off delivery worker, no HTTP.

`leadloop serve` runs this as its supervised child; a production setup can run it on its
own (another host, another container) beside `serve` with `LEADLOOP_PROFILE_WORKER=off`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from pathlib import Path

import typer

from leadloop.cli.context import DatabaseOption, console, open_container
from leadloop.config import Settings
from leadloop.services.background import Background


def _lower_priority(nice: int) -> None:
    """Linux keeps a niceness per thread (new ones inherit it): set it on every thread that
    exists now (native pools that imports started), before ours start."""
    if not nice:
        return
    tasks = Path("/proc/self/task")
    tids = [int(t) for t in os.listdir(tasks)] if tasks.is_dir() else [0]
    for tid in tids:
        with contextlib.suppress(OSError):  # a thread that just ended
            os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + nice)


def background(
    profiles: bool = typer.Option(True, help="Keep every workspace's profiles caught up."),
    delivery: bool = typer.Option(True, help="Deliver hand-off notifications and check SLAs."),
    wake_socket: str | None = typer.Option(
        None,
        envvar="LEADLOOP_BACKGROUND_SOCKET",
        help="Unix datagram socket to bind: ingesting processes send it the workspaces of each "
        "commit (without it, polling alone finds new events).",
    ),
    parent_pid: int | None = typer.Option(
        None, help="Exit when this process is gone (set by `leadloop serve` for its child)."
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Run the background loop (profiles + delivery) in the foreground until Ctrl-C/SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    _lower_priority(Settings().background_nice)
    with open_container(database_url) as c:
        loop = Background(c, wake_socket=wake_socket, profiles=profiles, delivery=delivery)
        if parent_pid is None:
            console.print("background loop running; Ctrl-C stops it")
        loop.run(stop, parent_pid=parent_pid)
    if parent_pid is not None and wake_socket:
        # serve made that folder for our socket alone; a SIGKILLed serve cannot remove it.
        with contextlib.suppress(OSError):
            os.rmdir(Path(wake_socket).parent)
