"""The serving marker (store/serving.py): held while a server runs, gone with its process."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from leadloop.store.serving import marker_path, server_running, serving


def test_only_a_sqlite_file_store_has_a_marker(tmp_path: Path) -> None:
    assert marker_path(f"sqlite:///{tmp_path}/x.db") == tmp_path / "x.db.serving"
    assert marker_path("sqlite:///leadloop.db") == Path("leadloop.db.serving")
    for url in ("sqlite://", "sqlite:///:memory:", "postgresql+psycopg://127.0.0.1:5432/test"):
        assert marker_path(url) is None
        assert not server_running(url)
        with serving(url):  # a no-op, not an error
            assert not server_running(url)


def test_the_marker_is_held_while_serving_and_not_after(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    assert not server_running(url), "no marker file yet"
    with serving(url), serving(url):  # shared: several server processes may hold it
        assert server_running(url)
    assert not server_running(url), "the empty file left behind means nothing"
    assert (tmp_path / "x.db.serving").exists()


def test_a_killed_server_leaves_no_stale_marker(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    code = (
        "import sys, time\n"
        "from leadloop.store.serving import serving\n"
        f"with serving({url!r}):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline() == b"held\n"
        assert server_running(url)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        deadline = time.monotonic() + 5
        while server_running(url) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not server_running(url)
    finally:
        child.kill()
        child.wait(10)
        assert child.stdout is not None
        child.stdout.close()
