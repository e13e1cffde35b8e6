"""The CSV side of the world: catalog, accounts, CRM contacts, costs, opportunities, truth.

Rows are streamed from the column arrays in chunks, so a million contacts never exist as a
million Python rows at once.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from leadloop.simulate import ids, names, vocab
from leadloop.simulate.catalog import Catalog
from leadloop.simulate.context import Truth
from leadloop.simulate.costs import CostRow
from leadloop.simulate.plans import Plans
from leadloop.simulate.sales import Opportunity
from leadloop.simulate.vocab import STAGES
from leadloop.simulate.world import World, sales_rep_name

CHUNK: Final = 20_000
CONTENT_COLUMNS: Final = (
    "asset_id",
    "url",
    "title",
    "format",
    "buying_stage",
    "topics",
    "personas",
    "signal",
)
ACCOUNT_COLUMNS: Final = (
    "domain",
    "name",
    "segment",
    "industry",
    "employees",
    "region",
    "group_id",
)
CONTACT_COLUMNS: Final = ("email", "name", "account_domain", "persona", "crm_id")
COST_COLUMNS: Final = ("month", "program", "channel", "kind", "amount")
OPPORTUNITY_COLUMNS: Final = (
    "opportunity_id",
    "account_domain",
    "primary_contact_email",
    "amount",
    "stage",
    "created_at",
    "close_date",
    "status",
    "owner",
    "type",
)
TRUTH_COLUMNS: Final = (
    "user_id",
    "anonymous_ids",
    "email",
    "crm_id",
    "persona",
    "account_domain",
    "web_active",
    "identified_at",
    "stage_reached",
    "sales_ready",
    "sales_ready_at",
    "opportunity_id",
    "customer",
)
CUSTOMER_LABELS: Final = ("", "existing", "won")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write ``rows`` under ``header`` (``\\n`` line ends); returns the row count."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                writer.writerows(batch)
                count += len(batch)
                batch.clear()
        writer.writerows(batch)
        count += len(batch)
    return count


def content_rows(catalog: Catalog) -> Iterator[tuple[Any, ...]]:
    for a in catalog.assets:
        topics = ";".join(vocab.TOPICS[t] for t in a.topics)
        personas = ";".join(vocab.PERSONAS[p] for p in a.personas)
        yield (
            a.asset_id,
            a.url,
            a.title,
            a.format.name,
            STAGES[a.stage],
            topics,
            personas,
            a.signal,
        )


def account_rows(world: World) -> Iterator[tuple[Any, ...]]:
    acc = world.accounts
    for i in range(len(acc)):
        yield (
            acc.domain(i),
            acc.name(i),
            vocab.SEGMENTS[int(acc.segment[i])],
            names.INDUSTRIES[int(acc.industry[i])][0],
            int(acc.employees[i]),
            vocab.REGIONS[int(acc.region[i])],
            acc.group_id(i),
        )


def contact_rows(world: World) -> Iterator[tuple[Any, ...]]:
    people, acc = world.contacts, world.accounts
    for c in range(len(people)):
        account = int(people.account[c])
        yield (
            people.email(c, acc),
            people.name(c),
            acc.domain(account),
            vocab.PERSONAS[int(people.persona[c])],
            people.crm_id(c),
        )


def cost_rows(costs: Iterable[CostRow]) -> Iterator[tuple[Any, ...]]:
    for row in costs:
        yield (row.month, row.program, row.channel, row.kind, f"{row.amount:.2f}")


def opportunity_rows(
    world: World, opportunities: Iterable[Opportunity]
) -> Iterator[tuple[Any, ...]]:
    clock = ids.IsoClock()
    seed = world.accounts.seed
    for o in sorted(opportunities, key=lambda o: (o.created_ms, o.number)):
        yield (
            ids.opportunity_id(seed, o.number),
            world.accounts.domain(o.account),
            world.contacts.email(o.contact, world.accounts),
            o.amount,
            o.stage,
            clock(o.created_ms),
            clock.date(o.close_ms),
            o.status,
            sales_rep_name(int(world.accounts.rep[o.account])),
            o.kind,
        )


def _when(clock: ids.IsoClock, ms: int) -> str:
    return clock(ms) if ms >= 0 else ""


def truth_rows(world: World, plans: Plans, truth: Truth) -> Iterator[tuple[Any, ...]]:
    people, acc, seed = world.contacts, world.accounts, world.contacts.seed
    clock = ids.IsoClock()
    for c in range(len(people)):
        devices = int(truth.devices[c])
        anon = ";".join(ids.anonymous_id(seed, c, d) for d in range(devices))
        stage = int(truth.stage[c])
        opp = int(truth.opportunity[c])
        identified = int(truth.identified_at[c])
        yield (
            people.user_id(c) if identified >= 0 else "",
            anon,
            people.email(c, acc),
            people.crm_id(c),
            vocab.PERSONAS[int(people.persona[c])],
            acc.domain(int(people.account[c])),
            "true" if plans.web[c] else "false",
            _when(clock, identified),
            STAGES[stage] if stage >= 0 else "",
            "true" if truth.sales_ready_at[c] >= 0 else "false",
            _when(clock, int(truth.sales_ready_at[c])),
            ids.opportunity_id(seed, opp) if opp >= 0 else "",
            CUSTOMER_LABELS[int(truth.customer[c])],
        )
