"""The cross-process wake of the background process, and the profile-worker setting."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadloop.config import Settings
from leadloop.services.background import (
    MAX_DATAGRAM,
    WakeListener,
    WakeSender,
    decode,
    encode_workspaces,
)
from leadloop.services.handoff.wakeup import Bell


@settings(max_examples=60)
@given(st.sets(st.integers(min_value=1, max_value=2**40), max_size=3000))
def test_a_wake_names_the_workspaces_or_all_of_them(ids: set[int]) -> None:
    payload = encode_workspaces(ids)
    assert len(payload) <= MAX_DATAGRAM
    kind, decoded = decode(payload) or ("?", [])
    assert kind == "w"
    assert decoded == sorted(ids) or decoded == []  # [] = catch up every workspace


@pytest.mark.parametrize("junk", [b"", b"x", b"w 1,a", b"o 1", b"w1"])
def test_junk_is_no_wake(junk: bytes) -> None:
    assert decode(junk) is None


def test_a_wake_with_nobody_listening_is_dropped_not_raised(tmp_path: Path) -> None:
    sender = WakeSender(str(tmp_path / "nobody.sock"))
    sender.workspaces([1, 2])
    sender.outbox()
    assert (sender.sent, sender.dropped) == (0, 2)
    sender.close()


def test_wakes_reach_the_listener(tmp_path: Path) -> None:
    path = str(tmp_path / "wake.sock")
    seen: list[list[int]] = []
    rung = threading.Event()
    (tmp_path / "wake.sock").write_text("a stale file a killed child left")
    listener = WakeListener(path, seen.append, rung.set)
    listener.start()
    sender = WakeSender(path)
    try:
        sender.workspaces([5, 3, 5])
        sender.outbox()
        assert rung.wait(5)
        deadline = time.monotonic() + 5
        while not seen:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert seen == [[3, 5]]
        assert sender.dropped == 0
    finally:
        sender.close()
        listener.stop()
    assert not (tmp_path / "wake.sock").exists()


def test_a_bell_forwards_its_rings_and_survives_a_failing_forwarder() -> None:
    bell, calls = Bell(), []
    waiter = bell.subscribe()

    def broken() -> None:
        raise OSError("gone")

    bell.add_forwarder(broken)
    bell.add_forwarder(lambda: calls.append(1))
    bell.ring()
    assert waiter.is_set() and calls == [1]
    bell.remove_forwarder(broken)
    bell.ring()
    assert calls == [1, 1]


@pytest.mark.parametrize(
    ("value", "mode"),
    [("true", "thread"), ("false", "off"), ("True", "thread"), ("0", "off"),
     ("thread", "thread"), ("process", "process"), ("off", "off")],
)  # fmt: skip
def test_the_old_boolean_setting_still_reads(
    value: str, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEADLOOP_PROFILE_WORKER", value)
    assert Settings().profile_worker == mode


def test_an_unknown_place_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADLOOP_PROFILE_WORKER", "elsewhere")
    with pytest.raises(ValueError, match="profile_worker"):
        Settings()
