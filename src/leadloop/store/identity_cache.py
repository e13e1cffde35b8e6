"""What one unit of work has learnt about contacts, so identity effects skip round trips.

Valid for one transaction only: ingest writers of a workspace are serialised (SQLite
``BEGIN IMMEDIATE``, PostgreSQL advisory lock), so inside the transaction the store changes
only through us. Contact changes are queued here and written in one batched statement
(:meth:`~leadloop.store.identity.SqlIdentityRepository.flush`) before anything reads them
back from the database and before commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class ContactRow:
    """A contact's state as identity resolution sees it, queued changes included."""

    known: bool
    email: Any
    topics: Any
    account: Any


@dataclass(slots=True)
class UnitCache:
    identity_contact: dict[int, int] = field(default_factory=dict)
    """identity id -> contact id as read or created; follow :meth:`current` after merges."""
    rows: dict[int, ContactRow] = field(default_factory=dict)
    by_email: dict[str, int | None] = field(default_factory=dict)
    """e-mail -> owning contact; ``None``: known to be free. Missing: ask the database."""
    domains: dict[str, int | None] = field(default_factory=dict)
    """e-mail domain -> account; ``None``: no account has it yet."""
    groups: dict[str, tuple[int, Any] | None] = field(default_factory=dict)
    """group id -> (account id, name); ``None``: no account has it yet."""
    new_identities: list[tuple[Any, ...]] = field(default_factory=list)
    merged_into: dict[int, int] = field(default_factory=dict)
    pending: list[tuple[Any, ...]] = field(default_factory=list)

    def current(self, contact_id: int) -> int:
        """The live contact a possibly merged-away contact id now stands for."""
        merged = self.merged_into
        while contact_id in merged:
            contact_id = merged[contact_id]
        return contact_id

    def merged(self, loser: int, survivor: int) -> None:
        """Forget what a merge changes; the database is read again for those two."""
        self.merged_into[loser] = survivor
        self.rows.pop(loser, None)
        self.rows.pop(survivor, None)
        stale = [e for e, cid in self.by_email.items() if cid in (loser, survivor)]
        for email in stale:
            del self.by_email[email]
