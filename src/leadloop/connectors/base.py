"""Waiting out rate limits: retry after ``Retry-After`` or with exponential backoff.

CRMs limit callers in two ways. Short windows (HubSpot's ten-second policy, a 429 or 503)
pass: wait and retry, counting each wait. Daily quotas (Salesforce
``REQUEST_LIMIT_EXCEEDED``, HubSpot's ``DAILY`` policy) do not pass within a run: the
connector raises :class:`~leadloop.errors.RateLimitedError` at once, the sync keeps its
cursor and the next run continues where this one stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from leadloop.errors import RateLimitedError

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryLater:
    """A classified failure that is worth retrying after ``seconds`` (None: back off)."""

    reason: str
    seconds: float | None = None


Classify = Callable[[Exception], RetryLater | None]


@dataclass
class Backoff:
    """Retry policy shared by a connector's calls; ``waits`` counts every wait."""

    max_retries: int = 5
    base_seconds: float = 1.0
    max_seconds: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    waits: int = 0

    def delay(self, attempt: int, hint: float | None) -> float:
        """``Retry-After`` when the server gave one, else base * 2**attempt, capped."""
        if hint is not None:
            return float(min(max(hint, 0.0), self.max_seconds))
        return float(min(self.base_seconds * (2**attempt), self.max_seconds))

    def run(self, call: Callable[[], T], classify: Classify, what: str) -> T:
        """Call; on a retryable failure wait and call again, up to ``max_retries`` times."""
        attempt = 0
        while True:
            try:
                return call()
            except Exception as exc:  # classify decides; anything else is re-raised
                retry = classify(exc)
                if retry is None:
                    raise
                if attempt >= self.max_retries:
                    raise RateLimitedError(
                        f"{what}: still rate limited after {attempt} retries ({retry.reason}); "
                        "run the sync again later, it continues from its cursor",
                        reason=retry.reason,
                    ) from exc
                seconds = self.delay(attempt, retry.seconds)
                self.waits += 1
                logger.warning(
                    "crm.rate_limited",
                    extra={"fields": {"call": what, "reason": retry.reason, "wait_s": seconds}},
                )
                self.sleep(seconds)
                attempt += 1


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds only); None when absent or odd."""
    if not value:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None
