"""Programs and what they cost, month by month: the numerator of CPOD.

Paid programs cost what they delivered (clicks, opens, attendees, recorded as touches while
the journeys run) plus a fixed base; staff and tools cost by headcount; commissions follow
booked revenue. Everything scales with the size of the world, so CPOD is plausible at every
size.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from leadloop.simulate import vocab
from leadloop.simulate.config import SimConfig, month_labels, month_starts
from leadloop.simulate.world import sales_rep_count


@dataclass(frozen=True, slots=True)
class Program:
    """A budget line: a campaign, a channel's spend or a team."""

    name: str
    channel: str
    kind: str  # marketing | sales
    per_touch: float = 0.0
    base: float = 0.0  # per month per 1,000 contacts in the world


def _programs() -> tuple[Program, ...]:
    search = tuple(
        Program(f"Search ads - {topic}", "search ads", "marketing", 7.5, 60.0)
        for topic in vocab.TOPICS
    )
    nurture = tuple(
        Program(f"Nurture e-mail - {stage}", "e-mail", "marketing", 0.3, 120.0)
        for stage in vocab.STAGES[:5]
    )
    marketing = (
        Program("Monthly newsletter", "e-mail", "marketing", 0.3, 180.0),
        Program("Customer e-mail", "e-mail", "marketing", 0.3, 90.0),
        Program("Webinar programme", "webinar", "marketing", 12.0, 900.0),
        Program(
            "Content syndication - IT Insights Network",
            "content syndication",
            "marketing",
            28.0,
            0.0,
        ),
        Program(
            "Content syndication - CIO Briefing", "content syndication", "marketing", 32.0, 0.0
        ),
        Program("LinkedIn sponsored content", "social", "marketing", 5.0, 100.0),
        Program("Trade shows & events", "events", "marketing", 15.0, 1_200.0),
        Program("Content production", "content", "marketing", 0.0, 2_000.0),
        Program("Marketing team", "marketing salaries", "marketing", 0.0, 3_500.0),
    )
    sales = (
        *(Program(f"Sales team - {region}", "sales salaries", "sales") for region in vocab.REGIONS),
        Program("Sales commissions", "commissions", "sales"),
        Program("Sales tools & CRM", "sales tools", "sales"),
    )
    return search + nurture + marketing + sales


PROGRAMS: Final = _programs()
PROGRAM_INDEX: Final = {p.name: i for i, p in enumerate(PROGRAMS)}
SEARCH: Final = 0
NURTURE: Final = len(vocab.TOPICS)
NEWSLETTER: Final = PROGRAM_INDEX["Monthly newsletter"]
CUSTOMER_EMAIL: Final = PROGRAM_INDEX["Customer e-mail"]
WEBINARS: Final = PROGRAM_INDEX["Webinar programme"]
SYNDICATION: Final = PROGRAM_INDEX["Content syndication - IT Insights Network"]
SOCIAL: Final = PROGRAM_INDEX["LinkedIn sponsored content"]
EVENTS: Final = PROGRAM_INDEX["Trade shows & events"]
SALES_TEAM: Final = PROGRAM_INDEX[f"Sales team - {vocab.REGIONS[0]}"]
COMMISSIONS: Final = PROGRAM_INDEX["Sales commissions"]
SALES_TOOLS: Final = PROGRAM_INDEX["Sales tools & CRM"]

REP_MONTHLY_COST: Final = 9_500.0
TOOLS_PER_REP: Final = 180.0
COMMISSION_RATE: Final = 0.07
EVENT_SEASON: Final = (3, 6, 9, 11)
"""Calendar months of the big trade shows, when the events budget quadruples."""


class Ledger:
    """Touches per program per month, recorded while journeys run."""

    def __init__(self, config: SimConfig) -> None:
        self.bounds = month_starts(config.start, config.months)
        self.touches: NDArray[np.int64] = np.zeros((len(PROGRAMS), config.months), np.int64)
        self.won: NDArray[np.float64] = np.zeros(config.months, np.float64)

    def month(self, ts: int) -> int:
        """Index of the simulated month containing ``ts`` (clamped to the period)."""
        return min(max(bisect.bisect_right(self.bounds, ts) - 1, 0), len(self.won) - 1)

    def touch(self, program: int, ts: int) -> None:
        self.touches[program, self.month(ts)] += 1

    def book(self, amount: float, ts: int) -> None:
        """Revenue booked (a won deal closing) inside the period."""
        if self.bounds[0] <= ts < self.bounds[-1]:
            self.won[self.month(ts)] += amount


@dataclass(frozen=True, slots=True)
class CostRow:
    month: str
    program: str
    channel: str
    kind: str
    amount: float


def _rep_regions(reps: int) -> list[int]:
    """Reps per region, in proportion to where accounts are."""
    return [max(1, round(reps * share)) for share in vocab.REGION_SHARES]


def _amount(config: SimConfig, ledger: Ledger, index: int, month: int, label: str) -> float:
    program = PROGRAMS[index]
    size = config.contacts / 1_000
    base = program.base * size
    if index == EVENTS and int(label[5:7]) in EVENT_SEASON:
        base *= 4
    amount = base + program.per_touch * float(ledger.touches[index, month])
    if SALES_TEAM <= index < COMMISSIONS:
        amount = _rep_regions(_reps(config))[index - SALES_TEAM] * REP_MONTHLY_COST
    elif index == COMMISSIONS:
        amount = COMMISSION_RATE * float(ledger.won[month])
    elif index == SALES_TOOLS:
        amount = _reps(config) * TOOLS_PER_REP
    return amount


def _reps(config: SimConfig) -> int:
    return sales_rep_count(config.contacts)


def monthly_costs(config: SimConfig, ledger: Ledger) -> list[CostRow]:
    """One row per program per simulated month, with a little month-to-month noise."""
    rng = random.Random(f"costs:{config.seed}")
    rows: list[CostRow] = []
    for month, label in enumerate(month_labels(config.start, config.months)):
        for index, program in enumerate(PROGRAMS):
            amount = _amount(config, ledger, index, month, label)
            if index != COMMISSIONS:
                amount *= 1.0 + rng.gauss(0.0, 0.04)
            rows.append(
                CostRow(label, program.name, program.channel, program.kind, round(amount, 2))
            )
    return rows
