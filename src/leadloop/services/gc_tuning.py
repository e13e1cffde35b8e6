"""Bulk work that allocates millions of acyclic objects: collect the young generation less.

Parsed messages, rows, states and profile rows hold no reference cycles, so the cyclic
collector finds nothing in them, yet with the default threshold (700 allocations) it walks
every batch again and again: about a fifth of a 1M-event import and a quarter of the
profile updater's catch-up (bench/RESULTS.md). Reference counting still frees everything.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def fewer_collections(young: int = 50_000) -> Iterator[None]:
    """Raise the young-generation threshold while the block runs; restore it afterwards."""
    old = gc.get_threshold()
    gc.set_threshold(max(young, old[0]), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
