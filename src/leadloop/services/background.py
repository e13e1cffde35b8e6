"""The background loop: the profile updater and the hand-off delivery worker in one process,
woken across processes.

``leadloop serve`` (``LEADLOOP_PROFILE_WORKER=process``, its default on PostgreSQL) keeps
ingest and the admin API in its HTTP process(es) and runs :class:`Background` in one
supervised child (``leadloop background``), so folding events no longer shares the GIL with
ingest. Both loops
share that child on purpose: the qualification that commits a hand-off rings
:data:`~leadloop.services.handoff.wakeup.OUTBOX_BELL` there, and delivery claims at once.

The wake is a Unix datagram socket (path in ``LEADLOOP_BACKGROUND_SOCKET``): after each group
commit every HTTP process sends ``w <workspace ids>``; an admin action that rings the outbox
bell sends ``o``. Sends never block and never fail a write: a full buffer, a child that is
restarting or any other error drops the wake, and the next poll finds the work. Works with
any store and any number of HTTP processes on one host; a background process on another
host runs on its polls alone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from leadloop.services.handoff.wakeup import OUTBOX_BELL
from leadloop.services.handoff.worker import DeliveryWorker, start_in_thread
from leadloop.services.inbox_drain import InboxDrainer
from leadloop.services.profile_worker import ProfileWorker

logger = logging.getLogger(__name__)

MAX_DATAGRAM = 8192
"""Longer workspace lists are sent as a bare ``w``: catch up every workspace."""


def encode_workspaces(workspace_ids: Iterable[int]) -> bytes:
    """``w 3,5``; a bare ``w`` (every workspace) when the list would not fit one datagram."""
    payload = b"w " + ",".join(str(ws) for ws in sorted(set(workspace_ids))).encode()
    return payload if len(payload) <= MAX_DATAGRAM else b"w"


def decode(payload: bytes) -> tuple[str, list[int]] | None:
    """``("w", ids)`` (empty: all), ``("o", [])``, ``("i", [])`` or ``None`` otherwise."""
    if payload in (b"o", b"i"):
        return payload.decode(), []
    if payload == b"w":
        return "w", []
    if not payload.startswith(b"w "):
        return None
    try:
        return "w", [int(part) for part in payload[2:].split(b",") if part]
    except ValueError:
        return None


class WakeSender:
    """The HTTP side: fire-and-forget datagrams to the background process."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self.sent = 0
        self.dropped = 0

    def workspaces(self, workspace_ids: Iterable[int]) -> None:
        """A group commit wrote events of these workspaces (the writer's commit listener)."""
        self._send(encode_workspaces(workspace_ids))

    def outbox(self) -> None:
        """Outbox rows committed here: the background delivery worker should claim now."""
        self._send(b"o")

    def inbox(self, _workspace_ids: Iterable[int] = ()) -> None:
        """Inbox appends committed here (the inbox writer's listener): drain now."""
        self._send(b"i")

    def _send(self, payload: bytes) -> None:
        try:
            self._sock.sendto(payload, self.path)
            self.sent += 1
        except OSError:  # no listener (restarting), buffer full: the poll covers it
            self.dropped += 1

    def close(self) -> None:
        self._sock.close()


class WakeListener:
    """The background side: a thread that turns datagrams into notify / ring calls."""

    def __init__(
        self,
        path: str,
        on_workspaces: Callable[[list[int]], None],
        on_outbox: Callable[[], None],
        on_inbox: Callable[[], None] = lambda: None,
    ) -> None:
        self.path = path
        self.on_workspaces = on_workspaces
        self.on_outbox = on_outbox
        self.on_inbox = on_inbox
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.received = 0

    def start(self) -> None:
        """Bind (replacing a socket file a killed predecessor left) and start listening."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(self.path)
        sock.settimeout(0.5)
        self._sock = sock
        self._thread = threading.Thread(target=self._run, name="leadloop-wake", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def _run(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                payload = self._sock.recv(MAX_DATAGRAM + 16)
            except TimeoutError:
                continue
            except OSError:
                return  # closed under us: stopping
            message = decode(payload)
            if message is None:
                logger.warning("background.bad_wake", extra={"fields": {"bytes": len(payload)}})
                continue
            self.received += 1
            kind, ids = message
            if kind == "o":
                self.on_outbox()
            elif kind == "i":
                self.on_inbox()
            else:
                self.on_workspaces(ids)


class Parts(Protocol):
    """What the loop needs of the composition root (``bootstrap.Container``)."""

    @property
    def profile_worker(self) -> ProfileWorker: ...

    @property
    def uses_inbox(self) -> bool: ...

    @property
    def drainer(self) -> InboxDrainer: ...

    def delivery_worker(self, name: str | None = None) -> DeliveryWorker: ...

    def close(self) -> None: ...


class Background:
    """The profile worker, the delivery worker, the inbox drain (with
    ``LEADLOOP_INGEST_INBOX``) and their wake listener, in this process."""

    def __init__(
        self,
        container: Parts,
        *,
        wake_socket: str | None = None,
        profiles: bool = True,
        delivery: bool = True,
    ) -> None:
        self.container = container
        self.wake_socket = wake_socket
        self.profiles = profiles
        self.delivery = delivery
        self._listener: WakeListener | None = None
        self._delivery: tuple[threading.Thread, threading.Event] | None = None

    def start(self) -> None:
        c = self.container
        drainer = c.drainer if c.uses_inbox else None
        if drainer is not None and self.profiles:
            drainer.add_commit_listener(c.profile_worker.notify)
        if self.wake_socket:  # listen first: a commit after the catch-up below still wakes us
            Path(self.wake_socket).parent.mkdir(parents=True, exist_ok=True)
            self._listener = WakeListener(
                self.wake_socket,
                self._on_workspaces,
                OUTBOX_BELL.ring,
                drainer.notify if drainer is not None else lambda: None,
            )
            self._listener.start()
        if drainer is not None:
            drainer.start()  # its first pass drains what waited while nothing ran
            drainer.notify()
        if self.profiles:
            # Catch every workspace up at once: events committed while no background process
            # ran (a restart after a crash) must not wait for the first poll.
            c.profile_worker.notify(())
        if self.delivery:
            self._delivery = start_in_thread(c.delivery_worker())
        logger.info(
            "background.started",
            extra={"fields": {"pid": os.getpid(), "profiles": self.profiles,
                              "delivery": self.delivery, "inbox": drainer is not None,
                              "wake_socket": self.wake_socket}},
        )  # fmt: skip

    def _on_workspaces(self, workspace_ids: list[int]) -> None:
        if self.profiles:
            self.container.profile_worker.notify(workspace_ids)

    def stop(self) -> None:
        """Stop listening, then finish the current profile pass and delivery."""
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self._delivery is not None:
            thread, stop = self._delivery
            stop.set()
            OUTBOX_BELL.ring()  # it sleeps on the bell (up to a whole poll), not on ``stop``
            thread.join(timeout=30)
            self._delivery = None
        self.container.close()  # stops the profile worker after its current pass
        logger.info("background.stopped", extra={"fields": {"pid": os.getpid()}})

    def run(self, stop: threading.Event, parent_pid: int | None = None) -> None:
        """Start, wait for ``stop`` (or for ``parent_pid`` to be gone), stop."""
        self.start()
        try:
            while not stop.wait(0.5):
                if parent_pid is not None and os.getppid() != parent_pid:
                    fields = {"parent": parent_pid}
                    logger.warning("background.parent_gone", extra={"fields": fields})
                    break
        finally:
            self.stop()
