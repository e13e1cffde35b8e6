"""Generation streams: peak memory follows concurrent journeys, not the number of events."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import json, resource, sys
from pathlib import Path
from leadloop.simulate import SimConfig, generate

def peak_mib():
    # ru_maxrss survives fork and exec, so a child of a big pytest process starts with its
    # parent's peak; Linux can reset the high-water mark (clear_refs 5) and report VmHWM.
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

try:
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
except OSError:
    pass
config = SimConfig.preset("demo", contacts=int(sys.argv[2]), events=int(sys.argv[3]))
summary = generate(Path(sys.argv[1]), config)
print(json.dumps({"events": summary.events, "peak_mib": peak_mib(), "seconds": summary.seconds}))
"""


def _measure(tmp_path: Path, contacts: int, events: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), str(contacts), str(events)],
        capture_output=True,
        text=True,
        check=True,
        timeout=1_800,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def test_mid_size_world_stays_small(tmp_path: Path) -> None:
    """25k contacts / 500k events (a 250 MB file) in well under 200 MiB."""
    measured = _measure(tmp_path, 25_000, 500_000)
    assert measured["events"] > 450_000
    assert measured["peak_mib"] < 200, measured


@pytest.mark.slow
def test_ten_times_the_events_needs_little_more_memory(tmp_path: Path) -> None:
    """250k contacts / 5M events: the file is ten times bigger, peak memory is not."""
    small = _measure(tmp_path / "small", 25_000, 500_000)
    large = _measure(tmp_path / "large", 250_000, 5_000_000)
    assert large["peak_mib"] < 2.5 * small["peak_mib"], (small, large)
    assert large["peak_mib"] < 400, large
