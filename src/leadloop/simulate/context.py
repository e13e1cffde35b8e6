"""The parts one simulation run shares, wired once, plus the hidden truth it records."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from leadloop.simulate.catalog import Catalog
from leadloop.simulate.config import SimConfig
from leadloop.simulate.costs import Ledger
from leadloop.simulate.plans import PLANNED_STAGES, Plans
from leadloop.simulate.sales import SalesDesk
from leadloop.simulate.segment import Emitter
from leadloop.simulate.sessions import Consumption, Shelf, Sources
from leadloop.simulate.world import World

EXISTING_CUSTOMER, WON_CUSTOMER = 1, 2


@dataclass(frozen=True, slots=True)
class Truth:
    """What really happened to each contact, for checking profiling and scoring later."""

    stage: NDArray[np.int8]  # highest stage consumed, -1 when none
    identified_at: NDArray[np.int64]  # epoch ms of the first identify, -1 when never
    sales_ready_at: NDArray[np.int64]  # epoch ms of the hot signal, -1 when never
    devices: NDArray[np.int8]  # devices (anonymousIds) used
    opportunity: NDArray[np.int32]  # opportunity number, -1 when none
    customer: NDArray[np.int8]  # 0: no, 1: uses the product of an existing customer, 2: won

    @classmethod
    def empty(cls, contacts: int) -> Truth:
        return cls(
            stage=np.full(contacts, -1, np.int8),
            identified_at=np.full(contacts, -1, np.int64),
            sales_ready_at=np.full(contacts, -1, np.int64),
            devices=np.zeros(contacts, np.int8),
            opportunity=np.full(contacts, -1, np.int32),
            customer=np.zeros(contacts, np.int8),
        )


@dataclass(frozen=True, slots=True)
class Sim:
    """Everything a journey touches while it plays."""

    config: SimConfig
    world: World
    plans: Plans
    sessions: NDArray[np.int8]  # planned sessions per person and buying stage
    catalog: Catalog
    rng: random.Random
    emitter: Emitter
    ledger: Ledger
    desk: SalesDesk
    truth: Truth
    shelf: Shelf
    consumption: Consumption
    sources: Sources


def wire(config: SimConfig, world: World, plans: Plans, catalog: Catalog) -> Sim:
    """Build the shared parts; each draws from its own seeded stream."""
    rng = random.Random(f"journeys:{config.seed}")
    emitter = Emitter(
        config.seed,
        random.Random(f"noise:{config.seed}"),
        config.malformed_rate,
        config.duplicate_rate,
    )
    ledger = Ledger(config)
    desk = SalesDesk(config, world, ledger)
    truth = Truth.empty(len(world.contacts))
    for opp in desk.carry_over(plans.customer, config.start_ms):
        truth.opportunity[opp.contact] = opp.number
        truth.customer[opp.contact] = EXISTING_CUSTOMER
    sessions = plans.sessions
    assert sessions.shape[1] == PLANNED_STAGES
    return Sim(
        config=config,
        world=world,
        plans=plans,
        sessions=sessions,
        catalog=catalog,
        rng=rng,
        emitter=emitter,
        ledger=ledger,
        desk=desk,
        truth=truth,
        shelf=Shelf(catalog, rng),
        consumption=Consumption(catalog, emitter, rng),
        sources=Sources(rng),
    )
