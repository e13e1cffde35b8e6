"""Accounts and contacts: the companies and people of the simulated market.

Both are columns of small integers (numpy arrays) rather than objects, so a million contacts
cost tens of megabytes; names, e-mails and domains are rendered from those integers only
when a file row or a message needs them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from leadloop.simulate import ids, names, vocab

CONTACTS_PER_ACCOUNT: Final = 8
FREE_MAIL_RATE: Final = 0.08
EMAIL_STYLES: Final = 5
CUSTOMER_SHARE: Final = (0.06, 0.12, 0.25)
"""Accounts per segment that are already customers when the period starts."""

I8 = NDArray[np.int8]
I16 = NDArray[np.int16]
I32 = NDArray[np.int32]


def occurrence_rank(keys: NDArray[np.int64]) -> I32:
    """For each key, how many equal keys came before it (0 for the first occurrence).

    >>> occurrence_rank(np.array([5, 3, 5, 5, 3])).tolist()
    [0, 0, 1, 2, 1]
    """
    order = np.argsort(keys, kind="stable")
    ranked = keys[order]
    starts = np.r_[0, np.flatnonzero(ranked[1:] != ranked[:-1]) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(keys)]))
    rank = np.empty(len(keys), dtype=np.int32)
    rank[order] = np.arange(len(keys)) - run_start
    return rank


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True, slots=True)
class Accounts:
    """Companies in the market, one row per index."""

    seed: int
    segment: I8
    industry: I8
    employees: I32
    region: I8
    prefix: I16
    noun: I8
    rank: I32
    legal: I8
    email_style: I8
    rep: I32
    customer: NDArray[np.bool_]  # already a customer when the period starts
    short_names: tuple[str, ...]  # trading names without legal suffix, unique
    domains: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.segment)

    def name(self, i: int) -> str:
        legal = names.LEGAL_SUFFIXES[int(self.legal[i])]
        return f"{self.short_names[i]} {legal}".strip()

    def domain(self, i: int) -> str:
        return self.domains[i]

    def group_id(self, i: int) -> str:
        return ids.group_id(self.seed, i)


@dataclass(frozen=True, slots=True)
class Contacts:
    """People the vendor's CRM knows (or will know), one row per index."""

    seed: int
    account: I32
    persona: I8
    first: I16
    last: I16
    free_mail: I8  # -1: company address, else index into names.FREE_MAIL
    rank: I32
    topic_a: I8
    topic_b: I8

    def __len__(self) -> int:
        return len(self.account)

    def name(self, i: int) -> str:
        return f"{names.FIRST_NAMES[int(self.first[i])]} {names.LAST_NAMES[int(self.last[i])]}"

    def email(self, i: int, accounts: Accounts) -> str:
        """The address they type in forms: company convention, or free-mail for some."""
        first = names.FIRST_NAMES[int(self.first[i])].lower()
        last = names.LAST_NAMES[int(self.last[i])].lower()
        mail = int(self.free_mail[i])
        if mail >= 0:
            return f"{first}.{last}{i}@{names.FREE_MAIL[mail]}"
        account = int(self.account[i])
        style = int(accounts.email_style[account])
        local = (
            f"{first}.{last}",
            f"{first[0]}{last}",
            f"{first}_{last}",
            f"{first}{last[0]}",
            f"{first}.{last[0]}",
        )[style]
        rank = int(self.rank[i])
        suffix = str(rank + 1) if rank else ""
        return f"{local}{suffix}@{accounts.domain(account)}"

    def user_id(self, i: int) -> str:
        return ids.user_id(self.seed, i)

    def crm_id(self, i: int) -> str:
        return ids.crm_id(self.seed, i)


def _segment_employees(rng: np.random.Generator, segment: I8) -> I32:
    low = np.array([lo for lo, _ in vocab.SEGMENT_EMPLOYEES], dtype=np.float64)[segment]
    high = np.array([hi for _, hi in vocab.SEGMENT_EMPLOYEES], dtype=np.float64)[segment]
    # Log-uniform inside the band: many small companies, few giants.
    size = np.exp(rng.uniform(np.log(low), np.log(high + 1)))
    return size.astype(np.int32)


def _short_name(prefix: int, industry: int, noun: int, rank: int) -> str:
    """A unique trading name; repeats of a name get a second word, then a number."""
    prefixes = names.COMPANY_PREFIXES
    words = [prefixes[prefix]]
    if rank:
        words.append(prefixes[(prefix + rank) % len(prefixes)])
    words.append(names.INDUSTRIES[industry][1][noun])
    if rank >= len(prefixes):
        words.append(str(rank // len(prefixes) + 1))
    return " ".join(words)


def build_accounts(rng: np.random.Generator, seed: int, contacts: int) -> Accounts:
    """Companies: segment mix, log-uniform headcount, region, owner rep, unique names."""
    n = max(3, contacts // CONTACTS_PER_ACCOUNT)
    segment = rng.choice(3, n, p=vocab.SEGMENT_SHARES).astype(np.int8)
    industry = rng.integers(0, len(names.INDUSTRIES), n, dtype=np.int8)
    noun_counts = np.array([len(nouns) for _, nouns in names.INDUSTRIES])
    noun = (rng.random(n) * noun_counts[industry]).astype(np.int8)
    prefix = rng.integers(0, len(names.COMPANY_PREFIXES), n, dtype=np.int16)
    key = (prefix.astype(np.int64) * 100 + industry) * 10 + noun
    rank = occurrence_rank(key)
    trading = tuple(
        _short_name(p, i, w, r)
        for p, i, w, r in zip(
            prefix.tolist(), industry.tolist(), noun.tolist(), rank.tolist(), strict=True
        )
    )
    return Accounts(
        seed=seed,
        segment=segment,
        industry=industry,
        employees=_segment_employees(rng, segment),
        region=rng.choice(len(vocab.REGIONS), n, p=vocab.REGION_SHARES).astype(np.int8),
        prefix=prefix,
        noun=noun,
        rank=rank,
        legal=rng.integers(0, len(names.LEGAL_SUFFIXES), n, dtype=np.int8),
        email_style=rng.integers(0, EMAIL_STYLES, n, dtype=np.int8),
        rep=rng.integers(0, sales_rep_count(contacts), n, dtype=np.int32),
        customer=rng.random(n) < np.array(CUSTOMER_SHARE)[segment],
        short_names=trading,
        domains=tuple(_slug(name) + ".example" for name in trading),
    )


def sales_rep_count(contacts: int) -> int:
    """Reps grow with the market: about one per 1,500 contacts, at least three."""
    return max(3, contacts // 1_500)


def sales_rep_name(i: int) -> str:
    """A rep's name: the named team first, then generated colleagues."""
    if i < len(names.SALES_REP_NAMES):
        return names.SALES_REP_NAMES[i]
    first = names.FIRST_NAMES[(i * 7) % len(names.FIRST_NAMES)]
    last = names.LAST_NAMES[(i * 13) % len(names.LAST_NAMES)]
    return f"{first} {last} ({i})" if i >= 2_000 else f"{first} {last}"


def _topics(rng: np.random.Generator, persona: I8) -> tuple[I8, I8]:
    favourites = np.array(vocab.TOPICS_BY_PERSONA, dtype=np.int8)[persona]
    n = len(persona)
    pick_a = rng.choice(4, n, p=(0.5, 0.3, 0.12, 0.08))
    pick_b = (pick_a + 1 + rng.integers(0, 3, n)) % 4
    topic_a = favourites[np.arange(n), pick_a]
    topic_b = favourites[np.arange(n), pick_b]
    wander = rng.random(n) < 0.15  # some people care about something off-profile
    topic_b = np.where(wander, rng.integers(0, len(vocab.TOPICS), n), topic_b).astype(np.int8)
    return topic_a.astype(np.int8), topic_b


def _initials(names: tuple[str, ...]) -> I16:
    return np.array([ord(n[0].lower()) - ord("a") for n in names], dtype=np.int16)


def _email_key(account: I32, first: I16, last: I16, style: I8) -> NDArray[np.int64]:
    """What decides an address's local part, so equal keys need a numeric suffix."""
    first_key = np.where(style == 1, _initials(names.FIRST_NAMES)[first], first)
    last_key = np.where(style >= 3, _initials(names.LAST_NAMES)[last], last)
    return (account.astype(np.int64) * 1_000 + first_key) * 1_000 + last_key


def build_contacts(rng: np.random.Generator, seed: int, count: int, accounts: Accounts) -> Contacts:
    """People spread over accounts (bigger companies have more), persona by segment."""
    weight = np.sqrt(accounts.employees.astype(np.float64))
    account = rng.choice(len(accounts), count, p=weight / weight.sum()).astype(np.int32)
    persona = np.empty(count, dtype=np.int8)
    segment = accounts.segment[account]
    for s, shares in enumerate(vocab.PERSONA_BY_SEGMENT):
        mask = segment == s
        persona[mask] = rng.choice(len(vocab.PERSONAS), int(mask.sum()), p=shares)
    first = rng.integers(0, len(names.FIRST_NAMES), count, dtype=np.int16)
    last = rng.integers(0, len(names.LAST_NAMES), count, dtype=np.int16)
    free = rng.random(count) < FREE_MAIL_RATE
    free_mail = np.where(free, rng.integers(0, len(names.FREE_MAIL), count), -1).astype(np.int8)
    key = _email_key(account, first, last, accounts.email_style[account])
    key = np.where(free, -1 - np.arange(count, dtype=np.int64), key)
    topic_a, topic_b = _topics(rng, persona)
    return Contacts(
        seed=seed,
        account=account,
        persona=persona,
        first=first,
        last=last,
        free_mail=free_mail,
        rank=occurrence_rank(key),
        topic_a=topic_a,
        topic_b=topic_b,
    )


@dataclass(frozen=True, slots=True)
class World:
    """The market: accounts and their contacts."""

    accounts: Accounts
    contacts: Contacts


def build_world(seed: int, contacts: int) -> World:
    """Accounts then contacts, from their own seeded stream."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    accounts = build_accounts(rng, seed, contacts)
    return World(accounts, build_contacts(rng, seed, contacts, accounts))
