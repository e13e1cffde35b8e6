"""A real `leadloop serve` process for end-to-end tests, and store reads."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, Row, Table, select

from leadloop.store.tables import events


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_pids(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc; Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@dataclass
class LiveServer:
    """`leadloop serve` in its own process, as a user runs it; restartable on the same port."""

    database_url: str
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> LiveServer:
        env = {
            **os.environ,
            "LEADLOOP_DATABASE_URL": self.database_url,
            "LEADLOOP_LOG_LEVEL": "WARNING",
            **self.env,
        }
        with self.log.open("ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "leadloop.cli.main", "serve", "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"server did not start:\n{self.log.read_text()}")

    def kill(self, children: bool = False) -> None:
        """SIGKILL: no shutdown hook runs, nothing is flushed. ``children``: its background
        process too, at once (a drain transaction in flight is cut off)."""
        if self.process is not None and self.process.poll() is None:
            children_pids = child_pids(self.process.pid) if children else []
            self.process.send_signal(signal.SIGKILL)
            for pid in children_pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def rows(engine: Engine, table: Table = events, workspace_id: int | None = None) -> list[Row[Any]]:
    query = select(table)
    if workspace_id is not None:
        query = query.where(table.c.workspace_id == workspace_id)
    with engine.connect() as conn:
        return list(conn.execute(query.order_by(table.c.id)))
