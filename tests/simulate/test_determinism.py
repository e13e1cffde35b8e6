"""Same seed, same bytes; another seed, another world."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from sim_helpers import SMALL, World

from leadloop.simulate import FILES, generate

TINY = replace(SMALL, contacts=300, events=6_000, months=3)


def _hashes(path: Path) -> dict[str, str]:
    return {name: hashlib.sha256((path / name).read_bytes()).hexdigest() for name in FILES}


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    generate(tmp_path / "a", TINY)
    generate(tmp_path / "b", TINY)
    assert _hashes(tmp_path / "a") == _hashes(tmp_path / "b")


def test_same_seed_matches_the_shared_world(world: World, tmp_path: Path) -> None:
    """A fresh process-independent rerun of the session world reproduces every file."""
    generate(tmp_path, world.summary.config)
    assert _hashes(tmp_path) == _hashes(world.path)


def test_different_seed_gives_a_different_world(tmp_path: Path) -> None:
    generate(tmp_path / "a", TINY)
    generate(tmp_path / "b", replace(TINY, seed=TINY.seed + 1))
    a, b = _hashes(tmp_path / "a"), _hashes(tmp_path / "b")
    assert all(a[name] != b[name] for name in FILES)


def test_rerun_into_the_same_folder_replaces_files(tmp_path: Path) -> None:
    generate(tmp_path, TINY)
    first = _hashes(tmp_path)
    generate(tmp_path, TINY)
    assert _hashes(tmp_path) == first
    assert not list(tmp_path.glob("*.part"))
