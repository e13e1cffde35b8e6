"""The profile store as the sales-ready rules' :class:`~leadloop.domain.qualification.FactsSource`.

``facts_for`` computes the facts of many contacts at once (one catalog read, one states
query for them and their accounts' members) and gives the same answer as
:func:`leadloop.services.profile_reads.lead_facts` for each. ``history`` derives every
contact's snapshots from the stored per-asset states (:mod:`leadloop.domain.fact_history`
says how, and what it cannot see), one account at a time, so memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from itertools import groupby

from sqlalchemy import Engine

from leadloop.domain.consumption import AssetState, epoch_ms
from leadloop.domain.content import ContentItem
from leadloop.domain.fact_history import AccountTimeline, Person, person_history
from leadloop.domain.facts import LeadFacts
from leadloop.domain.profile import (
    ProfileConfig,
    active_contacts,
    build_profile,
    person_items,
    to_lead_facts,
)
from leadloop.store.content import read_content_items
from leadloop.store.lead_facts import KnownContact, account_members, known_contacts, merged_states

HISTORY_CHUNK = 500
"""Known contacts whose history is computed together (their accounts' members come too)."""


class SqlProfileFacts:
    """Lead facts read from the profile tables (``profile_states`` + contacts + catalog)."""

    def __init__(self, engine: Engine, config: ProfileConfig) -> None:
        self.engine = engine
        self.config = config

    def facts_for(
        self, workspace_id: int, contact_ids: Sequence[int], as_of: datetime
    ) -> list[LeadFacts]:
        """The facts of each known contact in ``contact_ids`` as of ``as_of``, in that order."""
        content = read_content_items(self.engine, workspace_id)
        with self.engine.connect() as conn:
            people = known_contacts(conn, workspace_id, contact_ids)
            accounts = {p.account_id for p in people if p.account_id is not None}
            members = account_members(conn, workspace_id, accounts)
            wanted = {p.id for p in people} | {m for ids in members.values() for m in ids}
            states = merged_states(conn, workspace_id, sorted(wanted))
        groups = {
            a: self._account(states, ids, content, as_of) for a, ids in members.items()
        }  # one account profile per account, however many of its members are asked for
        by_id = {p.id: self._one(p, states[p.id], content, as_of, groups) for p in people}
        return [by_id[c] for c in dict.fromkeys(contact_ids) if c in by_id]

    def _account(
        self,
        states: Mapping[int, Mapping[str, AssetState]],
        member_ids: Sequence[int],
        content: Mapping[str, ContentItem],
        as_of: datetime,
    ) -> tuple[str, int]:
        per_contact = {m: states.get(m, {}) for m in member_ids}
        items = [i for m, s in sorted(per_contact.items()) for i in person_items(s, m)]
        group = build_profile(items, content, as_of, self.config, explained=False)
        return group.engagement_level, active_contacts(per_contact, as_of, self.config)

    def _one(
        self,
        person: KnownContact,
        states: Mapping[str, AssetState],
        content: Mapping[str, ContentItem],
        as_of: datetime,
        groups: Mapping[int, tuple[str, int]],
    ) -> LeadFacts:
        profile = build_profile(
            person_items(states), content, as_of, self.config, crm_persona=person.persona,
            explained=False,
        )  # fmt: skip
        facts = to_lead_facts(person.id, profile)
        if person.account_id is None:
            return facts
        level, active = groups.get(person.account_id, ("cold", 0))
        return _with_account(facts, person.account_id, level, active)

    def history(self, workspace_id: int, *, until: datetime | None = None) -> Iterator[LeadFacts]:
        """Every known contact's facts at each time its consumption changed, up to ``until``."""
        content = read_content_items(self.engine, workspace_id)
        until_ms = epoch_ms(until) if until is not None else None
        with self.engine.connect() as conn:
            people = known_contacts(conn, workspace_id)
        people.sort(key=lambda p: (p.account_id is None, p.account_id or 0, p.id))
        for chunk in _account_chunks(people, HISTORY_CHUNK):
            yield from self._history_chunk(workspace_id, chunk, content, until_ms)

    def _history_chunk(
        self,
        workspace_id: int,
        people: list[KnownContact],
        content: Mapping[str, ContentItem],
        until_ms: int | None,
    ) -> Iterator[LeadFacts]:
        with self.engine.connect() as conn:
            accounts = {p.account_id for p in people if p.account_id is not None}
            members = account_members(conn, workspace_id, accounts)
            wanted = {p.id for p in people} | {m for ids in members.values() for m in ids}
            states = merged_states(conn, workspace_id, sorted(wanted))
        timelines = {
            a: AccountTimeline({m: states.get(m, {}) for m in ids}, content, self.config)
            for a, ids in members.items()
        }
        for p in people:
            person = Person(p.id, states.get(p.id, {}), p.persona, p.account_id)
            timeline = timelines.get(p.account_id) if p.account_id is not None else None
            yield from person_history(person, content, self.config, timeline, until_ms)


def _account_chunks(people: list[KnownContact], size: int) -> Iterator[list[KnownContact]]:
    """Chunks of about ``size`` contacts that never split an account's members."""
    chunk: list[KnownContact] = []
    for _, group in groupby(people, key=lambda p: p.account_id or -p.id):
        members = list(group)
        if chunk and len(chunk) + len(members) > size:
            yield chunk
            chunk = []
        chunk.extend(members)
    if chunk:
        yield chunk


def _with_account(facts: LeadFacts, account_id: int, level: str, active: int) -> LeadFacts:
    return replace(
        facts, account_id=account_id, account_engagement_level=level,
        account_active_contacts=active,
    )  # fmt: skip
