"""What one unit of work has learnt about contacts, so identity effects skip round trips.

Valid for one transaction only: ingest writers of a workspace are serialised (SQLite
``BEGIN IMMEDIATE``, PostgreSQL advisory lock), so inside the transaction the store changes
only through us. Every write identity effects make (new identities and accounts, contact
changes, merges, account renames) is queued here, in order, and sent in a few batched round
trips (:meth:`~leadloop.store.identity.SqlIdentityRepository.flush`) before anything reads
the tables back from the database and before commit.
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
    domain_rows: dict[str, tuple[int, Any, bool] | None] = field(default_factory=dict)
    """e-mail domain -> (account id, name, has a group id); ``None``: no account has it."""
    new_identities: list[tuple[Any, ...]] = field(default_factory=list)
    new_accounts: list[tuple[Any, ...]] = field(default_factory=list)
    """PostgreSQL: accounts with ids already taken from the sequence, not yet inserted."""
    merged_into: dict[int, int] = field(default_factory=dict)
    ops: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    """Queued ``(statement, parameters)``, run in this order after the inserts above."""

    def current(self, contact_id: int) -> int:
        """The live contact a possibly merged-away contact id now stands for."""
        merged = self.merged_into
        while contact_id in merged:
            contact_id = merged[contact_id]
        return contact_id

    def merged(self, loser: int, survivor: int, row: ContactRow, freed: Any) -> None:
        """Record a merge: ``row`` is the survivor's state after it, ``freed`` the e-mail
        the loser gave up and the survivor did not take (now nobody's), if any."""
        self.merged_into[loser] = survivor
        self.rows.pop(loser, None)
        self.rows[survivor] = row
        if freed is not None:
            self.by_email[str(freed)] = None
        if row.email is not None:
            self.by_email[str(row.email)] = survivor
