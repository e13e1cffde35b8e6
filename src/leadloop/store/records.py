"""The validated records that imports hand to the store, and small helpers both writers share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson

from leadloop.store.ingest import Rejected

ACCOUNT_KEYS = ("domain", "name", "crm_id")
UNIQUE_ACCOUNT_COLUMNS = ("domain", "crm_id", "group_id")
"""Account columns unique per workspace: a record may not take one another account has."""
IN_CHUNK = 500
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """One contact row of an import, already validated and normalised."""

    email: str
    line: int | None = None
    name: str | None = None
    topics: tuple[str, ...] = ()
    persona: str | None = None
    crm_id: str | None = None
    account_domain: str | None = None
    account_name: str | None = None
    derived_domain: str | None = None
    """The employer's domain taken from the e-mail; used only when no account is given."""


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """One account row of an import, already validated and normalised."""

    line: int | None = None
    name: str | None = None
    domain: str | None = None
    crm_id: str | None = None
    group_id: str | None = None
    traits: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What one chunk did: rows created, changed, already up to date, and refused."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    for i in range(0, len(values), IN_CHUNK):
        yield values[i : i + IN_CHUNK]


def topics_json(topics: Iterable[str]) -> str | None:
    merged = sorted(set(topics))
    return orjson.dumps(merged).decode() if merged else None


def traits_json(traits: dict[str, Any]) -> str | None:
    return orjson.dumps(traits, option=orjson.OPT_SORT_KEYS).decode() if traits else None


def fold_contact(old: ContactRecord, new: ContactRecord) -> ContactRecord:
    """Two rows for one e-mail in a chunk: the later value wins, topics accumulate."""
    return ContactRecord(
        email=new.email,
        line=new.line,
        name=new.name or old.name,
        topics=tuple(sorted(set(old.topics) | set(new.topics))),
        persona=new.persona or old.persona,
        crm_id=new.crm_id or old.crm_id,
        account_domain=new.account_domain or old.account_domain,
        account_name=new.account_name or old.account_name,
        derived_domain=new.derived_domain or old.derived_domain,
    )


def fold_account(old: AccountRecord, new: AccountRecord) -> AccountRecord:
    return AccountRecord(
        line=new.line,
        name=new.name or old.name,
        domain=new.domain or old.domain,
        crm_id=new.crm_id or old.crm_id,
        group_id=new.group_id or old.group_id,
        traits={**old.traits, **new.traits},
    )
