"""The event loop: every journey's next session in one heap, played in time order.

Only people whose journey has started and not ended are in memory; people join in the
order of their planned start (read from the plan arrays a chunk at a time), so memory
follows the number of concurrent journeys, not the size of the world.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from typing import IO, Final

from leadloop.simulate.config import DAY_MS, HOUR_MS
from leadloop.simulate.context import Sim
from leadloop.simulate.journeys import Journeys, Person

ACTIVATION_CHUNK: Final = 65_536
LAST_SESSION_MARGIN: Final = 2 * HOUR_MS
"""No session starts this close to the end, so every event falls inside the period."""

ProgressFn = Callable[[str, float], None]
Entry = tuple[int, int, Person]


class Arrivals:
    """People in order of planned start, read from the plan arrays a chunk at a time."""

    def __init__(self, sim: Sim) -> None:
        self.starts = sim.plans.start_ms
        self._ids = self._iterate(sim)
        self._next: int | None = next(self._ids, None)

    @staticmethod
    def _iterate(sim: Sim) -> Iterator[int]:
        order = sim.plans.order
        for lo in range(0, len(order), ACTIVATION_CHUNK):
            yield from order[lo : lo + ACTIVATION_CHUNK].tolist()

    def peek(self) -> int | None:
        """Planned start of the next arrival, ``None`` when everyone has arrived."""
        return None if self._next is None else int(self.starts[self._next])

    def admit(self, journeys: Journeys, heap: list[Entry], until: int) -> None:
        """Push everyone whose planned start is at or before ``until``."""
        while self._next is not None and int(self.starts[self._next]) <= until:
            first, person = journeys.activate(self._next)
            heapq.heappush(heap, (first, self._next, person))
            self._next = next(self._ids, None)


def play(sim: Sim, out: IO[bytes], progress: ProgressFn | None = None) -> int:
    """Play every journey into ``out``; returns the number of sessions played."""
    journeys = Journeys(sim)
    heap: list[Entry] = []
    arrivals = Arrivals(sim)
    start, end = sim.config.start_ms, sim.config.end_ms
    last_start = end - LAST_SESSION_MARGIN
    emitter = sim.emitter
    sessions, next_report = 0, start
    admitted_until = start - 1
    while True:
        # Admit a day of arrivals ahead of the clock: a first session is always after its
        # planned start, so nobody admitted later can precede what the heap holds.
        if not heap or heap[0][0] > admitted_until:
            base = heap[0][0] if heap else arrivals.peek()
            if base is None:
                break
            admitted_until = base + DAY_MS
            arrivals.admit(journeys, heap, admitted_until)
            continue
        t, pid, person = heapq.heappop(heap)
        if t >= last_start:
            continue
        emitter.flush_before(t, out)
        nxt = journeys.session(person, t)
        sessions += 1
        if nxt is not None and nxt < last_start:
            heapq.heappush(heap, (nxt, pid, person))
        if progress is not None and t >= next_report:
            progress("events", (t - start) / (end - start))
            next_report = t + DAY_MS
    emitter.flush_all(out)
    return sessions
