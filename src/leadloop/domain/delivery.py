"""Delivery decisions for the outbox: what an answer means and when to try again.

Webhook answers: 2xx delivered; 408, 429, 5xx, timeouts and connection errors are retried
with exponential backoff and full jitter; any other status (3xx, 4xx) is permanent and goes
straight to the dead letters, because resending the same request cannot succeed until
someone fixes the endpoint (then `leadloop outbox replay`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

DELIVERED: Final = "delivered"
RETRY: Final = "retry"
DEAD: Final = "dead"

RETRYABLE_STATUSES: Final = frozenset({408, 425, 429})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff ``min(cap, base * 2**(attempt-1))`` with full jitter; dead after ``max_attempts``."""

    base_s: float = 2.0
    cap_s: float = 600.0
    max_attempts: int = 8

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        >>> RetryPolicy(base_s=1, cap_s=10).delay(3, random.Random(0)) <= 4
        True
        """
        ceiling = min(self.cap_s, self.base_s * 2 ** max(0, attempt - 1))
        wait = rng.uniform(0, ceiling)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.cap_s))
        return wait


def classify_status(status: int) -> str:
    """What an HTTP status means for a webhook delivery.

    >>> [classify_status(s) for s in (200, 204, 429, 503, 404, 301)]
    ['delivered', 'delivered', 'retry', 'retry', 'dead', 'dead']
    """
    if 200 <= status < 300:
        return DELIVERED
    if status in RETRYABLE_STATUSES or status >= 500:
        return RETRY
    return DEAD


def outcome_after(kind: str, attempt: int, policy: RetryPolicy) -> str:
    """A retryable failure becomes dead once the attempts are spent."""
    if kind == RETRY and attempt >= policy.max_attempts:
        return DEAD
    return kind
