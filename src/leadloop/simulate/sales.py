"""Sales' side of the loop: sales-ready leads become opportunities, which are won or lost.

A lead that downloads hot content is handed to sales; sales accept most (an opportunity on
the account, unless one is already open there) and reject some (the lead is recycled). Deal
size, cycle length and win rate depend on the account's segment. Existing customers who read
renewal/expansion content open expansions, and some of those are already in the pipeline when
the period starts (revenue from existing customers from month one).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from leadloop.simulate.config import DAY_MS, SimConfig
from leadloop.simulate.costs import Ledger
from leadloop.simulate.vocab import CIO_ARCHETYPES
from leadloop.simulate.world import World

ACCEPT_RATE: Final = 0.72
WIN_RATE: Final = (0.36, 0.31, 0.27)
CIO_WIN_BONUS: Final = 0.06
CYCLE_MEDIAN_DAYS: Final = (30.0, 55.0, 95.0)
AMOUNT_MEDIAN: Final = (12_000.0, 45_000.0, 160_000.0)
AMOUNT_RANGE: Final = (5_000, 500_000)
OPEN_STAGES: Final = ("prospecting", "qualification", "proposal")
EXPANSION_RATE: Final = 0.5
EXPANSION_WIN_RATE: Final = 0.62
EXPANSION_SHARE: Final = 0.35
"""Expansion deals are about a third of a new deal in the same segment, and faster."""
CARRY_OVER_RATE: Final = 0.5
"""Existing customers with an expansion already in the pipeline when the period starts."""
NEW_BUSINESS: Final = "new business"
EXPANSION: Final = "expansion"


@dataclass(frozen=True, slots=True)
class Opportunity:
    """A CRM opportunity as of the end of the simulated period."""

    number: int
    account: int
    contact: int
    amount: int
    created_ms: int
    close_ms: int
    status: str  # won | lost | open
    stage: str  # prospecting | qualification | proposal | closed won | closed lost
    kind: str = NEW_BUSINESS  # new business | expansion (revenue from existing customers)


@dataclass(frozen=True, slots=True)
class Handoff:
    """What happened to a sales-ready lead; ``until`` is when that outcome ends."""

    outcome: str  # rejected | joined | open | won | lost
    until: int
    opportunity: int = -1


class SalesDesk:
    """Turns sales-ready leads into opportunities; one open opportunity per account."""

    def __init__(self, config: SimConfig, world: World, ledger: Ledger) -> None:
        self.rng = random.Random(f"sales:{config.seed}")
        self.world = world
        self.ledger = ledger
        self.end = config.end_ms
        self.open_until: dict[int, tuple[int, int]] = {}
        self.opportunities: list[Opportunity] = []

    def hand_off(self, contact: int, ts: int) -> Handoff:
        """Sales' answer to a lead that became sales-ready at ``ts``."""
        if self.rng.random() > ACCEPT_RATE:
            return Handoff("rejected", ts)
        return self._opportunity(contact, ts, NEW_BUSINESS)

    def expansion(self, contact: int, ts: int) -> Handoff:
        """A customer reading renewal/expansion content: sometimes an upsell follows."""
        if self.rng.random() > EXPANSION_RATE:
            return Handoff("rejected", ts)
        return self._opportunity(contact, ts, EXPANSION)

    def _opportunity(self, contact: int, ts: int, kind: str) -> Handoff:
        rng = self.rng
        account = int(self.world.contacts.account[contact])
        current = self.open_until.get(account)
        if current is not None and current[0] > ts:
            return Handoff("joined", current[0], current[1])
        created = ts + rng.randint(1, 7) * DAY_MS + rng.randrange(DAY_MS // 3)
        if created >= self.end:
            return Handoff("open", self.end)
        opp = self._record(self._open(contact, account, created, kind))
        return Handoff(opp.status, opp.close_ms, opp.number)

    def carry_over(self, lifecycle: NDArray[np.bool_], start: int) -> list[Opportunity]:
        """Expansions already open at existing customers when the period starts (created in
        the quarter before), so revenue from existing customers flows from the first month.

        The primary contact is one who uses the product (``lifecycle``) where there is one.
        """
        contacts = self.world.contacts
        order = np.lexsort((~lifecycle, contacts.account))
        by_account = contacts.account[order]
        firsts = np.r_[0, np.flatnonzero(np.diff(by_account)) + 1]
        primary = dict(zip(by_account[firsts].tolist(), order[firsts].tolist(), strict=True))
        carried = []
        for account in np.flatnonzero(self.world.accounts.customer).tolist():
            contact = primary.get(account)
            if self.rng.random() >= CARRY_OVER_RATE or contact is None:
                continue
            created = start - self.rng.randint(1, 75) * DAY_MS - self.rng.randrange(DAY_MS)
            close = start + int(self.rng.lognormvariate(math.log(45.0), 0.7) * DAY_MS)
            carried.append(self._record(self._open(contact, account, created, EXPANSION, close)))
        return carried

    def _record(self, opp: Opportunity) -> Opportunity:
        self.open_until[opp.account] = (opp.close_ms, opp.number)
        self.opportunities.append(opp)
        if opp.status == "won":
            self.ledger.book(opp.amount, opp.close_ms)
        return opp

    def _open(
        self, contact: int, account: int, created: int, kind: str, close: int | None = None
    ) -> Opportunity:
        rng = self.rng
        segment = int(self.world.accounts.segment[account])
        expansion = kind == EXPANSION
        if close is None:
            cycle_median = CYCLE_MEDIAN_DAYS[segment] * (0.5 if expansion else 1.0)
            close = created + int(rng.lognormvariate(math.log(cycle_median), 0.45) * DAY_MS)
        median = AMOUNT_MEDIAN[segment] * (EXPANSION_SHARE if expansion else 1.0)
        amount = rng.lognormvariate(math.log(median), 0.55)
        amount = round(min(max(amount, AMOUNT_RANGE[0]), AMOUNT_RANGE[1]), -2)
        if expansion:
            win = EXPANSION_WIN_RATE
        else:
            cio = self.world.contacts.persona[contact] < len(CIO_ARCHETYPES)
            win = WIN_RATE[segment] + (CIO_WIN_BONUS if cio else 0.0)
        won = rng.random() < win
        if close < self.end:
            status, stage = ("won", "closed won") if won else ("lost", "closed lost")
        else:
            elapsed = (self.end - created) / max(close - created, 1)
            status, stage = "open", OPEN_STAGES[min(int(elapsed * 3), 2)]
        number = len(self.opportunities)
        return Opportunity(
            number, account, contact, int(amount), created, close, status, stage, kind
        )
