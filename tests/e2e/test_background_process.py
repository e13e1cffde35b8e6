"""`leadloop serve` with its background process: profiles and delivery in one supervised child.

Every poll is set to 30 s here, so an event that is handed off within a few seconds proves the
cross-process wake (datagram after each group commit, outbox ring forwarded from the API).
"""

from __future__ import annotations

import os
import signal
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from e2e_helpers import LiveServer

from handoff_helpers import Receiver
from leadloop.bootstrap import Container
from leadloop.services.profile_reads import contact_id_for_email
from leadloop.store import outbox
from profiling_helpers import tag_content

if TYPE_CHECKING:
    from conftest import StoreHandle, Workspace

RULE = """\
name: Coverage checkers
version: 1
qualify_when:
  all:
    - buying_stage: {at_least: consideration}
    - hot_signal: any
"""

SLOW_POLLS = {
    "LEADLOOP_PROFILE_WORKER": "process",  # serve's default on PostgreSQL, not on SQLite
    "LEADLOOP_PROFILE_POLL_SECONDS": "30",
    "LEADLOOP_OUTBOX_POLL_S": "30",
    "LEADLOOP_WEBHOOK_TIMEOUT_S": "2",
}
WAKE_BOUND_S = 5.0
"""Far below the 30 s polls, far above the ~0.1 s it takes on a quiet machine (a loaded
2-core box stretches it; bench/handoff.py measures the real latency)."""


def prepare(container: Container, ws: int, receiver: Receiver) -> None:
    """A rep, the receiver's webhook, tagged content and an approved hot-download rule."""
    container.reps.add(ws, "rita@sales.example")
    container.webhooks.add(ws, receiver.url, secret=receiver.secret)
    tag_content(container.engine, ws)
    for email, role in (("mia@e2e.example", "marketing"), ("sam@e2e.example", "sales")):
        container.users.add(ws, email, role)
    container.rulebook.upload(ws, RULE, "mia@e2e.example")
    for email in ("mia@e2e.example", "sam@e2e.example"):
        container.rulebook.approve(ws, 1, email)


def children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``pid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry.name))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def background_child(server: LiveServer, other_than: int | None = None, timeout: float = 30) -> int:
    """The pid of serve's background process, once it listens on its wake socket (a socket
    a killed predecessor left counts: the new child's catch-up at start covers the gap)."""
    assert server.process is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in children(server.process.pid):
            if pid != other_than and b"background" in Path(f"/proc/{pid}/cmdline").read_bytes():
                while not wake_socket(pid).exists():
                    assert time.monotonic() < deadline, "the child never bound its socket"
                    time.sleep(0.05)
                return pid
        time.sleep(0.05)
    raise AssertionError("serve runs no background process")


def identify(client: httpx.Client, user: str) -> None:
    batch = [{"type": "identify", "userId": user, "messageId": f"id-{user}",
              "traits": {"email": f"{user}@buyer.example", "name": user}}]  # fmt: skip
    assert client.post("/v1/batch", json={"batch": batch}).status_code == 200


def download(client: httpx.Client, user: str) -> float:
    """The qualifying event (the hot coverage map); returns when it was posted."""
    message = {"type": "track", "event": "Asset Downloaded", "userId": user,
               "messageId": f"dl-{user}", "properties": {"asset_id": "map-1"}}  # fmt: skip
    posted = time.monotonic()
    assert client.post("/v1/batch", json={"batch": [message]}).status_code == 200
    return posted


def handed_off(receiver: Receiver) -> dict[int, float]:
    """Contact id -> arrival (monotonic) of its first ``lead.handed_off`` webhook."""
    out: dict[int, float] = {}
    for d in receiver.delivered():
        if d.event == "lead.handed_off":
            for item in d.body["data"]["items"]:
                out.setdefault(item["contact_id"], d.started)
    return out


def wake_socket(child: int) -> Path:
    """The socket path `serve` gave its child (its ``--wake-socket`` argument)."""
    argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
    return Path(argv[argv.index(b"--wake-socket") + 1].decode())


def start(store: StoreHandle, tmp_path: Path, **env: str) -> LiveServer:
    return LiveServer(store.url, tmp_path / "serve.log", env={**SLOW_POLLS, **env}).start()


def gone(pid: int, what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while alive(pid):
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def stop_with(server: LiveServer, sig: signal.Signals, child: int) -> None:
    """Ctrl-C / SIGTERM: serve stops its child, removes its socket folder, exits."""
    assert server.process is not None
    folder = wake_socket(child).parent
    server.process.send_signal(sig)
    server.process.wait(60)
    gone(child, "the background process outlived serve")
    assert not folder.exists(), "serve left its runtime folder behind"


def test_the_child_profiles_and_hands_off_at_once(
    store: StoreHandle,
    container: Container,
    workspace: Workspace,
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    prepare(container, workspace.id, receiver)
    server = start(store, tmp_path)
    try:
        child = background_child(server)
        with httpx.Client(base_url=server.url, auth=(workspace.write_key, "")) as client:
            identify(client, "ann")
            contact = contact_id_for_email(container.engine, workspace.id, "ann@buyer.example")
            posted = download(client, "ann")
            receiver.wait_for(lambda r: contact in handed_off(r), WAKE_BOUND_S)
        assert handed_off(receiver)[contact] - posted < WAKE_BOUND_S
        assert container.profile_updater.pending(workspace.id) == 0
        assert alive(child)  # the same child did it: nothing restarted
        stop_with(server, signal.SIGTERM, child)
    finally:
        server.stop()


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_an_admin_replay_reaches_the_childs_delivery_worker(
    store: StoreHandle,
    container: Container,
    workspace: Workspace,
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    prepare(container, workspace.id, receiver)
    receiver.statuses = deque([410])  # the first delivery is dead at once
    server = start(store, tmp_path, LEADLOOP_OUTBOX_MAX_ATTEMPTS="1")
    try:
        child = background_child(server)
        with httpx.Client(base_url=server.url, auth=(workspace.write_key, "")) as client:
            identify(client, "bea")
            download(client, "bea")
        receiver.wait_for(lambda r: len(r.received) == 1, WAKE_BOUND_S)
        deadline = time.monotonic() + WAKE_BOUND_S
        while not (dead := outbox.list_items(container.engine, workspace.id, "dead", 10)):
            assert time.monotonic() < deadline, "the refused delivery was not dead-lettered"
            time.sleep(0.05)
        admin = {"Authorization": f"Bearer {workspace.admin_key}"}
        replayed = httpx.post(f"{server.url}/v1/outbox/{dead[0].id}/replay", headers=admin)
        assert replayed.status_code == 200, replayed.text
        receiver.wait_for(lambda r: len(r.delivered()) == 1, WAKE_BOUND_S)
        stop_with(server, signal.SIGINT, child)
    finally:
        server.stop()


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_killed_child_is_restarted_and_loses_nothing(
    store: StoreHandle,
    container: Container,
    workspace: Workspace,
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    prepare(container, workspace.id, receiver)
    server = start(store, tmp_path)
    try:
        first = background_child(server)
        with httpx.Client(base_url=server.url, auth=(workspace.write_key, "")) as client:
            identify(client, "cy")
            identify(client, "dee")
            cy, dee = (
                contact_id_for_email(container.engine, workspace.id, f"{u}@buyer.example")
                for u in ("cy", "dee")
            )
            os.kill(first, signal.SIGKILL)
            # Acknowledged while no background process runs (its wake is lost): the new
            # child's catch-up at start finds it, not the 30 s poll.
            download(client, "cy")
            second = background_child(server, other_than=first)
            receiver.wait_for(lambda r: cy in handed_off(r), 20)
            download(client, "dee")  # and the new child is woken like the first
            receiver.wait_for(lambda r: dee in handed_off(r), WAKE_BOUND_S)
        assert container.profile_updater.pending(workspace.id) == 0
        assert alive(second) and not alive(first)
        assert "background.died" in (tmp_path / "serve.log").read_text()
        # A SIGKILLed serve runs no shutdown hook: the child notices its parent is gone.
        folder = wake_socket(second).parent
        server.kill()
        gone(second, "the background process outlived a killed serve")
        assert not folder.exists(), "the child left serve's runtime folder behind"
    finally:
        server.stop()
