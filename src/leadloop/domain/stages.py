"""The brief's two orderings: buying stages (content tags) and the lead lifecycle.

Every part of Leadloop that names a stage uses these words verbatim. Buying stages are
what a piece of content serves and what a profile estimates; lifecycle states are where a
lead stands between marketing and sales. They are different things: a lead can be
``sales_ready`` while its buying stage is ``consideration``.
"""

from __future__ import annotations

from typing import Final

BUYING_STAGES: Final = ("epiphany", "awareness", "interest", "consideration", "purchase")
"""Before the sale, in order: the buyer realises an issue exists ... buys."""

CUSTOMER_STAGES: Final = ("onboarding", "adoption", "renewal/expansion", "advocacy")
"""After the sale, in order."""

STAGES: Final = BUYING_STAGES + CUSTOMER_STAGES
"""Every content stage in order; a stage's rank is its index here."""

_ALIASES: Final = {
    "renewal": "renewal/expansion",
    "expansion": "renewal/expansion",
    "renewal_expansion": "renewal/expansion",
    "renewal-expansion": "renewal/expansion",
    "renewal and expansion": "renewal/expansion",
}

LIFECYCLE_STATES: Final = (
    "anonymous",
    "known",
    "engaged",
    "sales_ready",
    "accepted",
    "rejected",
    "opportunity",
    "won",
    "lost",
    "recycled",
)
"""The closed loop: anonymous → known → engaged → sales_ready → accepted | rejected →
opportunity → won | lost; rejected and lost leads are recycled into nurture."""


def normalise_stage(value: str) -> str:
    """The canonical stage name for ``value`` (case, spacing and common aliases forgiven).

    >>> normalise_stage(" Consideration ")
    'consideration'
    >>> normalise_stage("renewal")
    'renewal/expansion'

    Raises:
        ValueError: naming the allowed stages.
    """
    key = " ".join(value.strip().lower().split())
    key = _ALIASES.get(key, key)
    if key not in STAGES:
        raise ValueError(f"unknown buying stage {value!r}; allowed: {', '.join(STAGES)}")
    return key


def stage_rank(stage: str) -> int:
    """Position of a stage in :data:`STAGES` (0 = epiphany).

    >>> stage_rank("purchase")
    4
    """
    return STAGES.index(normalise_stage(stage))


def is_buying_stage(stage: str) -> bool:
    """True for the pre-sale stages, False for the customer lifecycle after the sale."""
    return normalise_stage(stage) in BUYING_STAGES
