"""Helpers for the simulator tests: generate a world, read it back the way ingest would.

A uniquely named module (not ``conftest``) so imports never pick another folder's conftest.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from leadloop.domain.messages import BatchEnvelope, Message, parse_message
from leadloop.errors import InvalidMessageError
from leadloop.simulate import SimConfig, SimSummary, generate
from leadloop.simulate.vocab import PURCHASE, STAGES

SMALL = SimConfig(seed=7, contacts=1_500, events=40_000, months=6, start=date(2025, 3, 1))
ENVELOPE = BatchEnvelope(received_at=datetime(2030, 1, 1, tzinfo=UTC))


@dataclass
class ReadBack:
    """Every line of events.ndjson, split into parsed messages and refused lines."""

    messages: list[Message] = field(default_factory=list)
    raw: list[dict[str, Any]] = field(default_factory=list)
    refused: list[bytes] = field(default_factory=list)


def read_events(path: Path) -> ReadBack:
    out = ReadBack()
    with path.open("rb") as handle:
        for line in handle:
            try:
                raw = orjson.loads(line)
                message = parse_message(raw, ENVELOPE)
            except (orjson.JSONDecodeError, InvalidMessageError):
                out.refused.append(line)
                continue
            out.messages.append(message)
            out.raw.append(raw)
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@dataclass
class World:
    """A generated world on disk and what the tests need from it."""

    path: Path
    summary: SimSummary
    events: ReadBack

    def csv(self, name: str) -> list[dict[str, str]]:
        return read_csv(self.path / name)


def make_world(path: Path, config: SimConfig) -> World:
    summary = generate(path, config)
    return World(path, summary, read_events(path / "events.ndjson"))


def people(world: World) -> dict[str, list[Message]]:
    """Messages per person (by crm id, or device for anonymous-only visitors), devices joined
    by the hidden truth: a second device that never identified is still the same person."""
    owner = {}
    for row in world.csv("truth.csv"):
        for key in filter(None, [row["user_id"], *row["anonymous_ids"].split(";")]):
            owner[key] = row["crm_id"]
    out: defaultdict[str, list[Message]] = defaultdict(list)
    for m in world.events.messages:
        key = owner.get(m.user_id or "") or owner.get(m.anonymous_id or "") or m.anonymous_id
        assert key is not None
        out[key].append(m)
    return out


def stage_jumps(world: World) -> list[tuple[str, str, str]]:
    """Pages of a buying stage more than one stage above anything the person read before
    (the first page may be epiphany or awareness)."""
    stage = {row["asset_id"]: STAGES.index(row["buying_stage"]) for row in world.csv("content.csv")}
    jumps = []
    for person, messages in people(world).items():
        highest = 0
        for m in messages:
            if m.type != "page":
                continue
            s = stage[m.properties["asset_id"]]
            if s <= PURCHASE:
                if s > highest + 1:
                    jumps.append((person, STAGES[highest], STAGES[s]))
                highest = max(highest, s)
    return jumps
