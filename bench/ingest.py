"""Ingest benchmarks: HTTP tracking API and bulk import, each beside a same-run reference.

    .venv/bin/python bench/ingest.py [--http-seconds 10] [--events 1000000] [--skip-http]
        [--skip-import] [--skip-workers] [--no-postgres] [--no-sqlite]
        [--modes default,thread,off,inbox,inbox-nice]

HTTP: `wrk` (Debian package) posts 100-message batches (~40 KB) to Leadloop and to a bare
FastAPI endpoint that parses and discards (the ceiling, run before and after the Leadloop
runs; their mean is the ceiling, since a shared machine drifts); server CPU is read from
/proc and counts the whole process tree (`serve`'s background process, uvicorn's workers);
"bg CPU%" is the part of it outside the `serve` process. `--modes` picks the Leadloop
setups: `default` (as `serve` starts), `thread` (profile worker in the HTTP process),
`off` (an ingest-only node), `inbox` (`LEADLOOP_INGEST_INBOX=true`: 200 once the request is
in the ingest inbox; the background process drains it), `inbox-nice` (the same with the
background process at nice 19). Each also runs paced at about half the ceiling (a probe
calibrates the pause per request) to read its p99 latency; inbox runs then wait for the
drain and report the backlog, how long the drain took and the end-to-end events/s.
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
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU seconds of ``pid`` itself and of its live descendants (background process,
    uvicorn workers)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = _stat(int(entry.name))
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
            ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    tree, frontier = set(), {pid}
    while frontier:
        tree |= frontier
        frontier = {p for p, parent in parents.items() if parent in frontier} - tree
    own = ticks.get(pid, 0)
    return own / TICK, (sum(ticks.get(p, 0) for p in tree) - own) / TICK


def run_wrk(
    port: int, pid: int, key: str, seconds: int, conns: int, delay_ms: int = 0
) -> dict[str, float]:
    env = {**os.environ, "WRITE_KEY": key, "DELAY_MS": str(delay_ms)}
    own0, bg0 = cpu_seconds(pid)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency",
         "-s", str(ROOT / "bench" / "wrk_batch.lua"), f"http://127.0.0.1:{port}"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    own1, bg1 = cpu_seconds(pid)
    line = next(x for x in out.stdout.splitlines() if x.startswith("JSON "))
    result: dict[str, float] = json.loads(line[5:])
    result["rps"] = result["requests"] / result["seconds"]
    result["events_per_s"] = result["rps"] * 100
    result["server_cpu_pct"] = 100 * (own1 + bg1 - own0 - bg0) / result["seconds"]
    result["bg_cpu_pct"] = 100 * (bg1 - bg0) / result["seconds"]
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


def start_serve(url: str, port: int, *extra: str, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PY, "-m", "leadloop.cli.main", "serve", "--port", str(port), *extra],
        env={**leadloop_env(url), **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop_serve(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(30)


def thread_mode_known() -> bool:
    """Whether the code under test names the profile worker's place (thread|process|off);
    an older checkout only knows true/false, where true is the thread."""
    from leadloop.config import Settings

    try:
        Settings(profile_worker="thread")  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


def backlog_reader(url: str) -> Callable[[], int]:
    """Messages waiting in the store's ingest inbox, read from outside the server."""
    from leadloop.bootstrap import bootstrap
    from leadloop.config import Settings

    container = bootstrap(Settings(database_url=url, ingest_inbox=True))
    return container.inbox.backlog


def wait_drained(backlog: Callable[[], int], timeout: float = 600) -> tuple[int, float]:
    """(messages waiting when the load stopped, seconds until the drain had stored them)."""
    start, left = time.monotonic(), backlog()
    while backlog() > 0 and time.monotonic() - start < timeout:
        time.sleep(0.1)
    return left, time.monotonic() - start


def paced_wrk(
    port: int,
    pid: int,
    key: str,
    seconds: int,
    target_rps: float,
    backlog: Callable[[], int] | None = None,
    conns: int = 16,
) -> dict[str, float]:
    """wrk at about ``target_rps``: each connection pauses between requests, and a 3-second
    probe measures the latency the pause must leave room for (rate = conns / (pause +
    latency)). A server that cannot reach the target runs flat out (pause 1 ms)."""
    delay = max(1, int(conns * 1000 / target_rps) - 5)
    probe = run_wrk(port, pid, key, 3, conns, delay)
    if backlog is not None:
        wait_drained(backlog)
    latency_ms = conns * 1000 / max(probe["rps"], 1e-9) - delay
    delay = max(1, int(conns * 1000 / target_rps - latency_ms))
    result = run_wrk(port, pid, key, seconds, conns, delay)
    result["target_rps"] = target_rps
    return result


def leadloop_runs(
    url: str, key: str, seconds: int, half: float, name: str, **env: str
) -> dict[str, dict[str, float]]:
    """One `serve` setup at full speed and paced at about half the ceiling; with the inbox,
    also the time the drain needs afterwards and the end-to-end rate (events stored per
    second from the first request to the last stored event)."""
    port = free_port()
    proc = start_serve(url, port, **env)
    inbox = env.get("LEADLOOP_INGEST_INBOX") == "true"
    backlog = backlog_reader(url) if inbox else None
    results: dict[str, dict[str, float]] = {}
    try:
        wait_port(port, proc)
        time.sleep(1)  # the background process is up too
        run_wrk(port, proc.pid, key, 2, 32)  # warm-up
        if backlog is not None:
            wait_drained(backlog)
        label = f"  {name.split(' ', 1)[1]}, ~half ceil"
        for run_name, paced in ((name, False), (label, True)):
            if paced:
                results[run_name] = r = paced_wrk(port, proc.pid, key, seconds, half, backlog)
            else:
                results[run_name] = r = run_wrk(port, proc.pid, key, seconds, 32)
            if backlog is not None:
                r["backlog_at_end"], r["drain_s"] = wait_drained(backlog)
                r["end_to_end_events_per_s"] = r["requests"] * 100 / (r["seconds"] + r["drain_s"])
    finally:
        stop_serve(proc)
    return results


MODES: dict[str, tuple[str, dict[str, str]]] = {
    "default": ("leadloop default serve", {}),
    "thread": ("leadloop, profiles in thread", {"LEADLOOP_PROFILE_WORKER": "thread"}),
    "off": ("leadloop, profiles off", {"LEADLOOP_PROFILE_WORKER": "false"}),
    "inbox": ("leadloop inbox (LEADLOOP_INGEST_INBOX)", {"LEADLOOP_INGEST_INBOX": "true"}),
    "inbox-nice": (
        "leadloop inbox, background nice 19",
        {"LEADLOOP_INGEST_INBOX": "true", "LEADLOOP_BACKGROUND_NICE": "19"},
    ),
}


def reference_run(key: str, seconds: int) -> dict[str, float]:
    ref_port = free_port()
    ref = start_reference(ref_port)
    try:
        wait_port(ref_port, ref)
        run_wrk(ref_port, ref.pid, key, 2, 32)  # warm-up
        return run_wrk(ref_port, ref.pid, key, seconds, 32)
    finally:
        stop_serve(ref)


def start_reference(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PY, "-m", "uvicorn", "bench.reference_app:app", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def interleaved(
    url: str, seconds: int, rounds: int, mode: str = "inbox-nice"
) -> list[dict[str, dict[str, float]]]:
    """The reference and one Leadloop setup running side by side, measured in turns
    (reference, Leadloop flat out, Leadloop paced at half of that round's reference), the
    drain finished before each reference run: on a machine whose speed drifts by tens of
    percent within minutes, each round's ratio compares like with like."""
    key = prepare_store(url)
    name, env = MODES[mode]
    backlog = backlog_reader(url) if env.get("LEADLOOP_INGEST_INBOX") == "true" else None
    ref_port, port = free_port(), free_port()
    ref, proc = start_reference(ref_port), start_serve(url, port, **env)
    out: list[dict[str, dict[str, float]]] = []
    try:
        wait_port(ref_port, ref)
        wait_port(port, proc)
        time.sleep(1)
        run_wrk(ref_port, ref.pid, key, 2, 32)
        run_wrk(port, proc.pid, key, 2, 32)
        for _ in range(rounds):
            if backlog is not None:
                wait_drained(backlog)
            row = {"reference": run_wrk(ref_port, ref.pid, key, seconds, 32)}
            row[name] = run_wrk(port, proc.pid, key, seconds, 32)
            if backlog is not None:
                row[name]["backlog_at_end"], row[name]["drain_s"] = wait_drained(backlog)
            half = row["reference"]["rps"] / 2
            row["paced"] = paced_wrk(port, proc.pid, key, seconds, half, backlog)
            out.append(row)
    finally:
        stop_serve(proc)
        stop_serve(ref)
    return out


def print_interleaved(rounds: list[dict[str, dict[str, float]]]) -> None:
    print(f"{'round':>5s} {'ref req/s':>9s} {'Leadloop':>9s} {'of ref':>6s} {'p99 ms':>7s} "
          f"{'drain s':>7s} {'paced req/s':>11s} {'of ref':>6s} {'paced p99':>9s}")  # fmt: skip
    shares = []
    for i, row in enumerate(rounds, 1):
        ref, paced = row["reference"], row["paced"]
        ll = next(v for k, v in row.items() if k not in ("reference", "paced"))
        shares.append(ll["rps"] / ref["rps"])
        print(f"{i:5d} {ref['rps']:9.0f} {ll['rps']:9.0f} {100 * shares[-1]:5.0f}% "
              f"{ll['p99_ms']:7.1f} {ll.get('drain_s', 0):7.1f} {paced['rps']:11.0f} "
              f"{100 * paced['rps'] / ref['rps']:5.0f}% {paced['p99_ms']:9.1f}")  # fmt: skip
    shares.sort()
    print(
        f"median share of the ceiling: {100 * shares[len(shares) // 2]:.0f}% "
        f"(range {100 * shares[0]:.0f}-{100 * shares[-1]:.0f}%)"
    )


def http_bench(
    url: str, seconds: int, workers: bool = True, modes: tuple[str, ...] = tuple(MODES)
) -> dict[str, dict[str, float]]:
    """The reference before and after the Leadloop runs (the ceiling is their mean: a shared
    machine drifts), each Leadloop setup in between."""
    key = prepare_store(url)
    results: dict[str, dict[str, float]] = {"reference (parse+discard)": {}}
    before = reference_run(key, seconds)
    half = before["rps"] / 2
    for mode in modes:
        if mode == "thread" and not thread_mode_known():
            continue
        name, env = MODES[mode]
        results.update(leadloop_runs(url, key, seconds, half, name, **env))
    if workers:
        port = free_port()
        ll2 = start_serve(url, port, "--workers", "2")
        try:
            wait_port(port, ll2)
            time.sleep(2)  # both workers up
            run_wrk(port, ll2.pid, key, 2, 32)
            results["leadloop --workers 2"] = run_wrk(port, ll2.pid, key, seconds, 32)
        finally:
            stop_serve(ll2)
    after = reference_run(key, seconds)
    results["  reference, first run"] = before
    results["  reference, last run"] = after
    results["reference (parse+discard)"] = {
        k: (before[k] + after[k]) / 2 for k in before if isinstance(before[k], int | float)
    }
    return results


IMPORT_CODE = """
import json, sys, time
from leadloop.bootstrap import bootstrap
from leadloop.config import Settings
from leadloop.services.imports import import_events
from leadloop.store.directory import SqlDirectory
from leadloop.store.migrate import upgrade
c = bootstrap(Settings(database_url=sys.argv[1]))
upgrade(c.engine)
ws = c.workspaces.ensure_workspace("bench-import")
src = c.workspaces.source_id(ws, "bench-import")
out = {}
for run in ("first", "rerun"):
    t = time.perf_counter()
    r = import_events(c.ingest_store, SqlDirectory(c.engine), workspace_id=ws, source_id=src,
                      path=sys.argv[2])
    dt = time.perf_counter() - t
    out[run] = {"read": r.read, "stored": r.stored, "duplicates": r.duplicates,
                "rejected": r.rejected, "seconds": dt, "rows_per_s": r.read / dt}
print("JSON " + json.dumps(out))
"""


def world(tmp: Path, events: int, contacts: int) -> Path:
    """A seeded, time-ordered event file from the simulator."""
    out = tmp / "world"
    subprocess.run(
        [PY, "-m", "leadloop.cli.main", "simulate", "--out", str(out), "--contacts",
         str(contacts), "--events", str(events), "--seed", "7", "--quiet"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return out / "events.ndjson"


def reference_rows(path: Path, limit: int) -> list[tuple[object, ...]]:
    """Rows shaped like the events table, built before the clock starts."""
    import orjson

    rows: list[tuple[object, ...]] = []
    with path.open("rb") as handle:
        for i, line in enumerate(handle):
            if len(rows) >= limit:
                break
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            rows.append(
                (1, 1, i, hash(obj.get("messageId", i)), str(obj.get("messageId")), i % 50_000,
                 str(obj.get("type")), str(obj.get("event") or obj.get("name") or ""),
                 "2026-01-01 00:00:00.000000", "2026-01-01 00:00:00.000000",
                 orjson.dumps({k: obj.get(k) for k in ("properties", "context")}).decode(),
                 None)
            )  # fmt: skip
    return rows


RAW_COLUMNS = (
    "workspace_id, source_id, dedup_ts, dedup_hash, message_id, identity_id, type, event, "
    "timestamp, received_at, payload_json, dropped_traits"
)
RAW_TABLE = (
    "CREATE TABLE events_raw (workspace_id INTEGER, source_id INTEGER, dedup_ts BIGINT, "
    "dedup_hash BIGINT, message_id TEXT, identity_id BIGINT, type TEXT, event TEXT, "
    "timestamp TEXT, received_at TEXT, payload_json TEXT, dropped_traits TEXT)"
)


def sqlite_raw_rate(tmp: Path, rows: list[tuple[object, ...]]) -> float:
    """executemany, 10k rows a transaction, into an index-free table: the store's limit."""
    import sqlite3

    conn = sqlite3.connect(tmp / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(RAW_TABLE)
    sql = f"INSERT INTO events_raw ({RAW_COLUMNS}) VALUES ({', '.join('?' * 12)})"
    began = time.perf_counter()
    for i in range(0, len(rows), 10_000):
        conn.execute("BEGIN")
        conn.executemany(sql, rows[i : i + 10_000])
        conn.execute("COMMIT")
    rate = len(rows) / (time.perf_counter() - began)
    conn.close()
    return rate


def pg_raw_rate(url: str, rows: list[tuple[object, ...]]) -> float:
    """COPY, 10k rows a transaction, into a copy of the events table (no dedup)."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS events_raw")
        conn.execute(RAW_TABLE)
        began = time.perf_counter()
        for i in range(0, len(rows), 10_000):
            sql = f"COPY events_raw ({RAW_COLUMNS}) FROM STDIN"
            with conn.transaction(), conn.cursor() as cur, cur.copy(sql) as copy:
                for row in rows[i : i + 10_000]:
                    copy.write_row(row)
        rate = len(rows) / (time.perf_counter() - began)
        conn.execute("DROP TABLE events_raw")
    return rate


def leadloop_import(url: str, path: Path) -> dict[str, dict[str, float]]:
    """Run the real importer in a child process; report its rates and peak RSS."""
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "MAXRSS %M", PY, "-c", IMPORT_CODE, url, str(path)],
        capture_output=True, text=True, check=True, env=leadloop_env(url),
    )  # fmt: skip
    line = next(x for x in proc.stdout.splitlines() if x.startswith("JSON "))
    result: dict[str, dict[str, float]] = json.loads(line[5:])
    rss = next(x for x in proc.stderr.splitlines() if x.startswith("MAXRSS "))
    result["first"]["peak_rss_mib"] = int(rss.split()[1]) / 1024
    return result


@contextmanager
def pg_bench_url() -> Iterator[str | None]:
    """A fresh schema for this run (dropped afterwards), or None when no server answers."""
    base = os.environ.get("LEADLOOP_BENCH_PG_URL", "postgresql+psycopg://127.0.0.1:5432/test")
    admin = base.replace("+psycopg", "")
    tag = os.environ.get("LEADLOOP_BENCH_TAG", "")  # whose run: keeps schemas apart
    schema = f"bench_{tag}{os.getpid()}"
    try:
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except Exception as exc:  # no server: say so and carry on with SQLite
        print(f"PostgreSQL skipped: {exc.__class__.__name__}: {str(exc)[:100]}")
        yield None
        return
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def import_bench(
    tmp: Path, events: int, contacts: int, postgres: bool, sqlite: bool = True, rounds: int = 1
) -> dict[str, object]:
    """Each round measures the raw reference, then imports into a fresh store (first run and
    rerun), per store kind: on a machine whose speed drifts, each ratio is read against the
    reference measured just before it."""
    path = world(tmp, events, contacts)
    rows = reference_rows(path, min(events, 500_000))
    results: dict[str, object] = {"file_lines": sum(1 for _ in path.open("rb")), "rounds": []}
    for n in range(rounds):
        r: dict[str, object] = {}
        if sqlite:
            for old in tmp.glob("raw.db*"):
                old.unlink()
            r["sqlite_raw_rows_per_s"] = sqlite_raw_rate(tmp, rows)
            r["sqlite_import"] = leadloop_import(f"sqlite:///{tmp}/import{n}.db", path)
            for old in tmp.glob(f"import{n}.db*"):
                old.unlink()  # a 1M-event store is most of a GB
        if postgres:
            with pg_bench_url() as url:
                if url is not None:
                    r["pg_raw_copy_rows_per_s"] = pg_raw_rate(url, rows)
                    r["pg_import"] = leadloop_import(url, path)
        results["rounds"].append(r)  # type: ignore[attr-defined]
    return results


def print_import(res: dict[str, object]) -> None:
    rounds: list[dict[str, object]] = res["rounds"]  # type: ignore[assignment]
    ratios: dict[str, list[float]] = {}
    for n, round_ in enumerate(rounds, 1):
        title = f"bulk import ({res['file_lines']} lines)"
        if len(rounds) > 1:
            title += f", round {n}"
        print(f"{title:44s} {'rows/s':>9s} {'of ref':>7s} {'peak RSS':>9s}")
        pairs = []
        if "sqlite_import" in round_:
            pairs.append(("sqlite", "sqlite_raw_rows_per_s", "raw executemany, no index"))
        if "pg_import" in round_:
            pairs.append(("pg", "pg_raw_copy_rows_per_s", "raw COPY, no dedup"))
        for prefix, ref_key, ref_name in pairs:
            ref = float(round_[ref_key])  # type: ignore[arg-type]
            print(f"{prefix + ' reference: ' + ref_name:44s} {ref:9.0f} {100:6.0f}%")
            imp: dict[str, dict[str, float]] = round_[f"{prefix}_import"]  # type: ignore[assignment]
            for run in ("first", "rerun"):
                r = imp[run]
                rss = f"{r['peak_rss_mib']:7.0f} MiB" if "peak_rss_mib" in r else ""
                ratio = 100 * r["rows_per_s"] / ref
                ratios.setdefault(f"{prefix} {run} run", []).append(ratio)
                print(f"{prefix + ' leadloop import, ' + run + ' run':44s} {r['rows_per_s']:9.0f} "
                      f"{ratio:6.0f}% {rss}")  # fmt: skip
    if len(rounds) > 1:
        for name, values in ratios.items():
            spread = ", ".join(f"{v:.0f}%" for v in values)
            print(f"{'median of ' + name:44s} {statistics.median(values):16.0f}%  ({spread})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--http-seconds", type=int, default=10)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument(
        "--skip-workers", action="store_true", help="HTTP: leave out the `--workers 2` run."
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="Events to import.")
    parser.add_argument("--contacts", type=int, default=50_000, help="Contacts in the world.")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only.")
    parser.add_argument("--no-sqlite", action="store_true", help="Import: PostgreSQL only.")
    parser.add_argument(
        "--rounds",
        type=int,
        default=0,
        help="HTTP: instead of one run per setup, measure the first of --modes against the "
        "reference in this many interleaved rounds (for a machine whose speed drifts).",
    )
    parser.add_argument(
        "--import-rounds",
        type=int,
        default=1,
        help="Import: measure reference and import this many times in turn, then the medians.",
    )
    parser.add_argument(
        "--modes",
        default=",".join(MODES),
        help=f"HTTP: the Leadloop setups to run, comma-separated ({', '.join(MODES)}).",
    )
    args = parser.parse_args()
    if not args.skip_http and shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `apt-get install wrk` (make bench does it)")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        if not args.skip_http:
            modes = tuple(m for m in args.modes.split(",") if m)
            unknown = set(modes) - set(MODES)
            if unknown:
                sys.exit(f"unknown --modes {sorted(unknown)}; choose from {', '.join(MODES)}")
            if args.rounds:
                rounds = interleaved(url, args.http_seconds, args.rounds, modes[0])
                print_interleaved(rounds)
                print("JSON", json.dumps({"http_rounds": rounds}))
                modes = ()
        if not args.skip_http and modes:
            res = http_bench(url, args.http_seconds, not args.skip_workers, modes)
            ceiling = res["reference (parse+discard)"]["rps"]
            print(f"{'HTTP (SQLite, 100 events/request)':38s} {'req/s':>8s} {'events/s':>9s} "
                  f"{'p50 ms':>7s} {'p99 ms':>7s} {'srv CPU%':>8s} {'bg CPU%':>7s} "
                  f"{'of ceil':>7s}")  # fmt: skip
            for name, r in res.items():
                print(f"{name:38.38s} {r['rps']:8.0f} {r['events_per_s']:9.0f} {r['p50_ms']:7.1f} "
                      f"{r['p99_ms']:7.1f} {r['server_cpu_pct']:8.0f} {r['bg_cpu_pct']:7.0f} "
                      f"{100 * r['rps'] / ceiling:6.0f}%")  # fmt: skip
                if "drain_s" in r:
                    print(f"{'    then the drain':38.38s} {r['backlog_at_end']:8.0f} msgs waited, "
                          f"stored in {r['drain_s']:.1f} s; end to end "
                          f"{r['end_to_end_events_per_s']:.0f} events/s")  # fmt: skip
            print("JSON", json.dumps({"http": res}))
        if not args.skip_import:
            imp = import_bench(
                Path(tmp), args.events, args.contacts, not args.no_postgres, not args.no_sqlite,
                args.import_rounds,
            )  # fmt: skip
            print_import(imp)
            print("JSON", json.dumps({"import": imp}))


if __name__ == "__main__":
    main()
