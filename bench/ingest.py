"""Ingest benchmarks: HTTP tracking API and bulk import, each beside a same-run reference.

    .venv/bin/python bench/ingest.py [--http-seconds 10] [--events 1000000] [--skip-http]
        [--skip-import] [--postgres]

HTTP: `wrk` (Debian package) posts 100-message batches (~40 KB) to Leadloop and to a bare
FastAPI endpoint that parses and discards (the ceiling); server CPU is read from /proc.
Then Leadloop is driven at about half the ceiling's rate to read its p99 latency.
Bulk import: `leadloop import events` of a time-ordered NDJSON file beside a raw
`executemany` into an index-free copy of the events table (SQLite) and a raw `COPY`
(PostgreSQL). Prints a table and JSON lines you can paste into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited early")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def run_wrk(
    port: int, pid: int, key: str, seconds: int, conns: int, delay_ms: int = 0
) -> dict[str, float]:
    env = {**os.environ, "WRITE_KEY": key, "DELAY_MS": str(delay_ms)}
    cpu0 = cpu_seconds(pid)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency",
         "-s", str(ROOT / "bench" / "wrk_batch.lua"), f"http://127.0.0.1:{port}"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    cpu = cpu_seconds(pid) - cpu0
    line = next(x for x in out.stdout.splitlines() if x.startswith("JSON "))
    result: dict[str, float] = json.loads(line[5:])
    result["rps"] = result["requests"] / result["seconds"]
    result["events_per_s"] = result["rps"] * 100
    result["server_cpu_pct"] = 100 * cpu / result["seconds"]
    return result


def leadloop_env(url: str) -> dict[str, str]:
    return {**os.environ, "LEADLOOP_DATABASE_URL": url, "LEADLOOP_LOG_LEVEL": "WARNING"}


def prepare_store(url: str) -> str:
    """Migrate the store and return a fresh write key."""
    code = (
        "from leadloop.bootstrap import bootstrap; from leadloop.config import Settings;"
        "from leadloop.store.migrate import upgrade;"
        f"c=bootstrap(Settings(database_url={url!r})); upgrade(c.engine);"
        "ws=c.workspaces.ensure_workspace('bench');"
        "print(c.workspaces.create_key(ws, scope='write', source='bench-http')); c.close()"
    )
    return subprocess.run(
        [PY, "-c", code], capture_output=True, text=True, check=True, env=leadloop_env(url)
    ).stdout.strip()


def http_bench(url: str, seconds: int) -> dict[str, dict[str, float]]:
    key = prepare_store(url)
    results: dict[str, dict[str, float]] = {}
    ref_port, ll_port = free_port(), free_port()
    ref = subprocess.Popen(
        [PY, "-m", "uvicorn", "bench.reference_app:app", "--port", str(ref_port),
         "--log-level", "warning"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    ll = subprocess.Popen(
        [PY, "-m", "leadloop.cli.main", "serve", "--port", str(ll_port)],
        env=leadloop_env(url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_port(ref_port, ref)
        wait_port(ll_port, ll)
        run_wrk(ref_port, ref.pid, key, 2, 32)  # warm-up
        results["reference (parse+discard)"] = run_wrk(ref_port, ref.pid, key, seconds, 32)
        run_wrk(ll_port, ll.pid, key, 2, 32)
        results["leadloop /v1/batch"] = run_wrk(ll_port, ll.pid, key, seconds, 32)
        half = results["reference (parse+discard)"]["rps"] / 2
        conns = 16
        delay = max(1, int(conns * 1000 / half) - 5)
        results["leadloop at ~half ceiling"] = run_wrk(ll_port, ll.pid, key, seconds, conns, delay)
    finally:
        for p in (ref, ll):
            p.terminate()
            p.wait(10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--http-seconds", type=int, default=10)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `apt-get install wrk` (make bench does it)")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        if not args.skip_http:
            res = http_bench(url, args.http_seconds)
            ceiling = res["reference (parse+discard)"]["rps"]
            print(f"{'HTTP (SQLite, 100 events/request)':38s} {'req/s':>8s} {'events/s':>9s} "
                  f"{'p50 ms':>7s} {'p99 ms':>7s} {'srv CPU%':>8s} {'of ceil':>7s}")  # fmt: skip
            for name, r in res.items():
                print(f"{name:38s} {r['rps']:8.0f} {r['events_per_s']:9.0f} {r['p50_ms']:7.1f} "
                      f"{r['p99_ms']:7.1f} {r['server_cpu_pct']:8.0f} "
                      f"{100 * r['rps'] / ceiling:6.0f}%")  # fmt: skip
            print("JSON", json.dumps({"http": res}))


if __name__ == "__main__":
    main()
