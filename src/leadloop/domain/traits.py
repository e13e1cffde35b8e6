"""Passive profiling: which personal traits Leadloop may keep.

Forms ask only name, e-mail and "subscribe to content about this business issue?". Anything
else a client sends about a person (phone, address, title, company, budget, ...) is dropped
and only its *name* is recorded, so nobody can say later that we quietly kept it.
"""

from __future__ import annotations

from typing import Any

MAX_EMAIL_LENGTH = 254
"""The longest address SMTP can carry (RFC 5321); anything longer is not an e-mail."""

MAX_NAME_LENGTH = 300
"""Longer "names" are pasted text, not a person's or a company's name."""

ALLOWED_PERSON_TRAITS: frozenset[str] = frozenset(
    {
        "email",
        "name",
        "firstName",
        "lastName",
        "first_name",
        "last_name",
        "subscribe",
        "subscribed",
        "topic",
        "topics",
    }
)
"""Traits an ``identify`` may store; every other key is dropped."""

ALLOWED_ACCOUNT_TRAITS: frozenset[str] = frozenset(
    {"name", "domain", "website", "industry", "employees", "plan", "segment"}
)
"""Traits a ``group`` call may store about the company (not the person)."""


def split_traits(
    traits: dict[str, Any], allowed: frozenset[str] = ALLOWED_PERSON_TRAITS
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Split ``traits`` into the kept ones and the sorted names of the dropped ones.

    >>> split_traits({"email": "a@b.co", "phone": "555", "title": "CIO"})
    ({'email': 'a@b.co'}, ('phone', 'title'))
    """
    kept = {k: v for k, v in traits.items() if k in allowed}
    dropped = tuple(sorted(k for k in traits if k not in allowed))
    return kept, dropped


def normalise_email(value: object) -> str | None:
    """Lower-cased, trimmed e-mail, or ``None`` when it is not a plausible address.

    >>> normalise_email("  Ana.Silva@Example.COM ")
    'ana.silva@example.com'
    >>> normalise_email("not-an-email") is None
    True
    """
    if not isinstance(value, str):
        return None
    email = value.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or "\x00" in email:
        return None
    local, sep, domain = email.partition("@")
    if not sep or not local or "." not in domain or " " in email or "@" in domain:
        return None
    return email


def display_name(traits: dict[str, Any]) -> str | None:
    """The person's name from ``name`` or ``firstName``/``lastName`` traits."""
    name = traits.get("name")
    if isinstance(name, str) and name.strip():
        return plausible_name(name)
    first = traits.get("firstName") or traits.get("first_name") or ""
    last = traits.get("lastName") or traits.get("last_name") or ""
    full = f"{first} {last}".strip() if isinstance(first, str) and isinstance(last, str) else ""
    return plausible_name(full)


def plausible_name(value: object) -> str | None:
    """A trimmed name of a person or company, or ``None`` when it cannot be one.

    >>> plausible_name("  Acme  "), plausible_name("x" * 301), plausible_name("a\\x00b")
    ('Acme', None, None)
    """
    if not isinstance(value, str):
        return None
    name = value.strip()
    if not name or len(name) > MAX_NAME_LENGTH or "\x00" in name:
        return None
    return name


def subscribed_topics(traits: dict[str, Any]) -> tuple[str, ...]:
    """Topics the person opted into: ``topic``/``topics`` when ``subscribe`` is truthy.

    >>> subscribed_topics({"subscribe": True, "topic": "network security"})
    ('network security',)
    >>> subscribed_topics({"subscribe": False, "topic": "x"})
    ()
    """
    flag = traits.get("subscribe", traits.get("subscribed", True))
    if flag in (False, "false", "no", "0", 0):
        return ()
    raw = traits.get("topics", traits.get("topic"))
    if isinstance(raw, str):
        items = [raw]
    elif isinstance(raw, list):
        items = [t for t in raw if isinstance(t, str)]
    else:
        return ()
    return tuple(sorted({t.strip() for t in items if t.strip()}))
