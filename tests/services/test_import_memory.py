"""Constant memory: importing 300k events must not hold the file, or what was stored, in RAM.

The import runs in its own process so that its resident set size is measured alone. Budget,
above the RSS the process has once Leadloop is imported and the store open:

* one chunk of parsed messages plus their rows: about 30 MiB per 10,000 lines, so 150 MiB
  at the default of 50,000 (``CHUNK_SIZE``);
* SQLite's page cache, which the engine sets to 128 MiB for the server; the child shrinks it
  to 8 MiB (and turns off mmap, whose pages would count as resident) so that what is measured
  is the importer, not the database's cache;
* the identity cache (5,000 devices here) and allocator slack.

So the peak may be at most 50 MiB plus the chunk's share above the baseline, and once the
first chunks are in, RSS must stay flat (within 15 MiB) while the remaining ~200k lines
stream through: holding on to just 100 bytes per line would add 20 MiB. Flatness is read
off 10,000-line chunks (30 samples); the default's peak is checked too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from leadloop.services.imports.events import CHUNK_SIZE

LINES = 300_000
PEAK_BASE_MIB = 50
CHUNK_MIB_PER_10K = 30
LATE_GROWTH_MIB = 15

CHILD = """
import json, sys
from pathlib import Path
from sqlalchemy import event
from leadloop.bootstrap import bootstrap
from leadloop.config import Settings
from leadloop.services.imports import import_events
from leadloop.store.directory import SqlDirectory
from leadloop.store.migrate import upgrade

def rss(key="VmRSS"):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no " + key)

data, url, chunk = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = bootstrap(Settings(database_url=url, log_level="WARNING"))

@event.listens_for(c.engine, "connect")
def _small_cache(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA cache_size=-8192")
    cur.execute("PRAGMA mmap_size=0")
    cur.close()

upgrade(c.engine)
ws = c.workspaces.create_workspace("mem")
source = c.workspaces.source_id(ws, "import")
samples = []
baseline = rss()
report = import_events(
    c.ingest_store, SqlDirectory(c.engine), workspace_id=ws, source_id=source, path=data,
    chunk_size=chunk, progress=lambda p: samples.append(rss()),
)
c.close()
print(json.dumps({"baseline": baseline, "peak": rss("VmHWM"), "samples": samples,
                  "read": report.read, "stored": report.stored}))
"""


def _write_events(path: Path) -> None:
    with path.open("wb", buffering=1 << 20) as f:
        for i in range(LINES):
            message = {
                "type": "track" if i % 3 else "page",
                "event": "Content Viewed",
                "name": "Coverage map",
                "anonymousId": f"device-{i % 5000}",
                "messageId": f"m-{i}",
                "timestamp": f"2025-01-{1 + i // 86400 % 28:02d}T00:00:{i % 60:02d}Z",
                "properties": {"asset": f"/content/{i % 400}", "depth": i % 100},
                "context": {"ip": "10.0.0.1", "page": {"url": f"https://acme.example/{i % 400}"}},
            }
            f.write(orjson.dumps(message) + b"\n")


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize("chunk", [10_000, CHUNK_SIZE])
def test_importing_300k_lines_runs_in_constant_memory(tmp_path: Path, chunk: int) -> None:
    data = tmp_path / "events.ndjson"
    _write_events(data)
    script = tmp_path / "child.py"
    script.write_text(CHILD)

    done = subprocess.run(
        [sys.executable, str(script), str(data), f"sqlite:///{tmp_path / 'mem.db'}", str(chunk)],
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert (result["read"], result["stored"]) == (LINES, LINES)
    samples = result["samples"]
    assert len(samples) >= LINES // chunk
    grew = result["peak"] - result["baseline"]
    budget = PEAK_BASE_MIB + CHUNK_MIB_PER_10K * chunk / 10_000
    assert grew < budget, f"peak RSS {grew:.0f} MiB above the baseline (budget {budget:.0f})"
    if len(samples) < 30:
        return  # too few chunks to tell growth from the first chunks' warm-up
    settled = samples[len(samples) // 4]
    late = max(samples[len(samples) // 4 :]) - settled
    assert late < LATE_GROWTH_MIB, f"RSS grew {late:.0f} MiB while streaming: {samples}"
