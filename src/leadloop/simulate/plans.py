"""Journey plans: who starts when, at which stage, how far they will get and how fast.

Drawn up front as arrays so the event budget can be met: knowing every planned stage, one
number (``scale``, sessions per stage) is solved so the expected event count hits the
target. The timeline then walks the plans lazily, in time order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from leadloop.simulate import vocab
from leadloop.simulate.config import DAY_MS, SimConfig
from leadloop.simulate.world import World

NEVER: Final = 99
"""``identify_stage`` of people who stay anonymous."""

PLANNED_STAGES: Final = len(vocab.STAGES)
SESSIONS_PER_STAGE: Final = (1.0, 1.5, 2.5, 2.5, 1.5)
"""Extra sessions (Poisson mean, times ``scale``) a person spends in each buying stage."""
CUSTOMER_EXTRA: Final = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 1.0, 0.0)
"""Extra sessions of existing customers' contacts in adoption and renewal/expansion."""
VISITOR_EXTRA: Final = (0.5, 0.3, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
"""Extra sessions of anonymous-only visitors: most come once or twice."""
FINAL_STAGE_SHARES: Final = (0.12, 0.22, 0.24, 0.2, 0.22)
IDENTIFY_STAGE_SHARES: Final = (0.15, 0.3, 0.35, 0.2, 0.0)
IDENTIFY_RATE: Final = 0.85
CUSTOMER_LAST_STAGE: Final = (0.3, 0.45, 0.25)
"""How far existing customers' contacts go: adoption, renewal/expansion or advocacy."""
CUSTOMER_CONTACT_RATE: Final = 0.5
"""Share of a customer account's web-active contacts who use the product (lifecycle
journeys); the others are buying something new."""
SECOND_DEVICE_RATE: Final = 0.15
GROWTH: Final = 0.5
"""Journeys start 50% more often at the end of the period than at its start (marketing
improves), which is what lets CPOD fall over time."""

# Calibrated on the generator itself (tests/simulate/test_budget.py checks the result): events
# per played session of a contact and of a visitor, and the days a session adds to a journey
# beyond the mean gap (business-hours snapping, weekends).
EVENTS_PER_SESSION: Final = 3.0
EVENTS_PER_VISITOR_SESSION: Final = 2.7
SESSION_OVERHEAD_DAYS: Final = 0.6
MAX_SCALE: Final = 40.0
DRAW_BLOCK: Final = 1 << 17

I8 = NDArray[np.int8]
Flags = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Plans:
    """Every journey's parameters; visitor ``v`` has person id ``contacts + v``.

    ``sessions[pid, stage]`` is how many sessions the person spends in each stage; the
    stages with sessions are the journey (zero everywhere: no web journey).
    """

    web: Flags
    customer: Flags  # contact of an existing customer, on a lifecycle journey
    identify_stage: I8
    second_device: Flags
    gap_days: NDArray[np.float32]
    visitor_persona: I8
    visitor_region: I8
    start_ms: NDArray[np.int64]
    order: NDArray[np.int64]
    sessions: NDArray[np.int8]
    scale: float

    @property
    def visitors(self) -> int:
        return len(self.visitor_persona)


def _start_times(rng: np.random.Generator, n: int, config: SimConfig) -> NDArray[np.int64]:
    """Start instants with density rising linearly by ``GROWTH`` over the period."""
    u = rng.random(n)
    x = (np.sqrt(1.0 + 2.0 * GROWTH * u * (1.0 + GROWTH / 2.0)) - 1.0) / GROWTH
    span = config.end_ms - config.start_ms - DAY_MS
    return (config.start_ms + x * span).astype(np.int64)


def _gap_days(rng: np.random.Generator, n: int) -> NDArray[np.float32]:
    """Mean days between sessions: a few fast movers, a long tail of slow ones."""
    return np.clip(rng.lognormal(np.log(4.0), 0.6, n), 0.5, 30.0).astype(np.float32)


def _buying_stages(rng: np.random.Generator, n: int) -> tuple[I8, I8, I8]:
    """(first stage, last stage, stage of the first form) of each buying journey."""
    start = np.where(rng.random(n) < 0.3, vocab.AWARENESS, vocab.EPIPHANY).astype(np.int8)
    final = np.maximum(rng.choice(5, n, p=FINAL_STAGE_SHARES), start).astype(np.int8)
    identify = np.maximum(rng.choice(5, n, p=IDENTIFY_STAGE_SHARES), start)
    anonymous = rng.random(n) >= IDENTIFY_RATE
    identify = np.where(anonymous | (identify > final), NEVER, identify)
    # Hot content is gated: whoever reaches purchase identifies by then.
    identify = np.where(final == vocab.PURCHASE, np.minimum(identify, vocab.PURCHASE), identify)
    return start, final, identify.astype(np.int8)


def _span(first: I8, last: I8) -> Flags:
    stages = np.arange(PLANNED_STAGES)
    return (stages >= first[:, None]) & (stages <= last[:, None])


def _draw(rng: np.random.Generator, inside: Flags, extra: NDArray[np.float64]) -> NDArray[np.int8]:
    """One session per planned stage plus Poisson(``extra``) more, capped to fit int8.

    Drawn in fixed-size row blocks so a million people never need int64 temporaries.
    """
    out = np.zeros(inside.shape, np.int8)
    for lo in range(0, len(inside), DRAW_BLOCK):
        block = inside[lo : lo + DRAW_BLOCK]
        drawn = rng.poisson(np.broadcast_to(extra, block.shape))
        out[lo : lo + DRAW_BLOCK] = np.where(block, np.minimum(drawn + 1, 127), 0)
    return out


@dataclass(frozen=True, slots=True)
class _Budget:
    """Expected sessions per journey as ``fixed + per_scale * scale``, and the most that fit
    between the journey's start and the end of the period."""

    fixed: NDArray[np.float64]
    per_scale: NDArray[np.float64]
    room: NDArray[np.float64]
    visitor_sessions: float

    def events(self, scale: float) -> float:
        planned = self.fixed + self.per_scale * scale
        played = float(np.minimum(planned, self.room).sum())
        return EVENTS_PER_SESSION * played + EVENTS_PER_VISITOR_SESSION * self.visitor_sessions

    def solve(self, target: float) -> float:
        """The scale whose expected events meet ``target`` (bisection: events grow with it)."""
        low, high = 0.0, MAX_SCALE
        if self.events(high) <= target:
            return high
        for _ in range(40):
            mid = (low + high) / 2
            low, high = (mid, high) if self.events(mid) < target else (low, mid)
        return (low + high) / 2


def _room(
    config: SimConfig, starts: NDArray[np.int64], gaps: NDArray[np.float32]
) -> NDArray[np.float64]:
    days = (config.end_ms - starts) / DAY_MS
    return 1.0 + days / (gaps.astype(np.float64) + SESSION_OVERHEAD_DAYS)


def _contact_sessions(
    rng: np.random.Generator,
    config: SimConfig,
    world: World,
    room: NDArray[np.float64],
    visitor_sessions: float,
) -> tuple[Flags, Flags, I8, NDArray[np.int8], float]:
    n = len(world.contacts)
    web = rng.random(n) < config.web_active_rate
    in_customer = world.accounts.customer[world.contacts.account]
    customer = web & in_customer & (rng.random(n) < CUSTOMER_CONTACT_RATE)
    start, final, identify = _buying_stages(rng, n)
    buying = _span(start, final) & (web & ~customer)[:, None]
    last = rng.choice((vocab.ADOPTION, vocab.RENEWAL, vocab.ADVOCACY), n, p=CUSTOMER_LAST_STAGE)
    lifecycle = _span(np.full(n, vocab.ADOPTION, np.int8), last.astype(np.int8))
    lifecycle &= customer[:, None]
    per_stage = np.array(SESSIONS_PER_STAGE + (0.0,) * 4)
    budget = _Budget(
        fixed=(buying.sum(1) + lifecycle @ (1.0 + np.array(CUSTOMER_EXTRA)))[web],
        per_scale=(buying @ per_stage)[web],
        room=room[web],
        visitor_sessions=visitor_sessions,
    )
    scale = budget.solve(config.events)
    sessions = _draw(rng, buying, per_stage * scale) + _draw(
        rng, lifecycle, np.array(CUSTOMER_EXTRA)
    )
    identify = np.where(customer, vocab.EPIPHANY, identify).astype(np.int8)
    return web, customer, identify, sessions, scale


def _visitor_sessions(rng: np.random.Generator, visitors: int) -> NDArray[np.int8]:
    first = np.where(rng.random(visitors) < 0.25, 1, 0).astype(np.int8)
    last = (first + (rng.random(visitors) < 0.2)).astype(np.int8)
    return _draw(rng, _span(first, last), np.array(VISITOR_EXTRA))


def build_plans(config: SimConfig, world: World) -> Plans:
    """Plans for every contact (web-active or not) and every anonymous-only visitor."""
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 2]))
    n = len(world.contacts)
    visitors = round(config.visitor_ratio * config.web_active_rate * n)
    starts = _start_times(rng, n + visitors, config)
    gaps = _gap_days(rng, n + visitors)
    visitor_sessions = _visitor_sessions(rng, visitors)
    web, customer, identify, contact_sessions, scale = _contact_sessions(
        rng, config, world, _room(config, starts[:n], gaps[:n]), float(visitor_sessions.sum())
    )
    active = np.r_[np.flatnonzero(web), n + np.arange(visitors)]
    order = active[np.argsort(starts[active], kind="stable")]
    return Plans(
        web=web,
        customer=customer,
        identify_stage=identify,
        second_device=rng.random(n) < SECOND_DEVICE_RATE,
        gap_days=gaps,
        visitor_persona=rng.choice(len(vocab.PERSONAS), visitors, p=_persona_mix()).astype(np.int8),
        visitor_region=rng.choice(len(vocab.REGIONS), visitors, p=vocab.REGION_SHARES).astype(
            np.int8
        ),
        start_ms=starts,
        order=order.astype(np.int64),
        sessions=np.concatenate((contact_sessions, visitor_sessions)),
        scale=scale,
    )


def _persona_mix() -> NDArray[np.float64]:
    mix = np.array(vocab.PERSONA_BY_SEGMENT).T @ np.array(vocab.SEGMENT_SHARES)
    return np.asarray(mix / mix.sum(), dtype=np.float64)
