"""Webhook signatures and the retry policy."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadloop.domain.delivery import (
    DEAD,
    DELIVERED,
    RETRY,
    RetryPolicy,
    classify_status,
    outcome_after,
)
from leadloop.domain.signing import SignatureError, sign, verify_signature

NOW = 1_800_000_000


@given(secret=st.text(min_size=16), body=st.binary(), ts=st.integers(NOW - 200, NOW + 200))
def test_a_signed_body_verifies_and_any_change_is_caught(secret: str, body: bytes, ts: int) -> None:
    header = sign(secret, body, ts)
    assert verify_signature(secret, body, header, now=NOW) == ts
    with pytest.raises(SignatureError):
        verify_signature(secret, body + b" ", header, now=NOW)
    with pytest.raises(SignatureError):
        verify_signature(secret + "x", body, header, now=NOW)
    with pytest.raises(SignatureError):  # a different timestamp invalidates the signature
        verify_signature(secret, body, header.replace(f"t={ts}", f"t={ts + 1}"), now=NOW)


def test_stale_missing_and_malformed_signatures_are_refused() -> None:
    header = sign("s" * 16, b"{}", NOW - 301)
    with pytest.raises(SignatureError, match="more than 300s"):
        verify_signature("s" * 16, b"{}", header, now=NOW)
    with pytest.raises(SignatureError, match="no Leadloop-Signature"):
        verify_signature("s" * 16, b"{}", None, now=NOW)
    with pytest.raises(SignatureError, match="no t="):
        verify_signature("s" * 16, b"{}", "v1=abc", now=NOW)


def test_the_documented_signature_can_be_recomputed_by_hand() -> None:
    import hashlib
    import hmac

    body = b'{"id":"dlv_1_1"}'
    expected = hmac.new(b"whsec_x", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("whsec_x", body, 1700000000) == f"t=1700000000,v1={expected}"


@given(attempt=st.integers(1, 40), seed=st.integers(0, 2**32))
def test_backoff_is_full_jitter_under_a_doubling_ceiling(attempt: int, seed: int) -> None:
    policy = RetryPolicy(base_s=2, cap_s=600, max_attempts=8)
    delay = policy.delay(attempt, random.Random(seed))
    assert 0 <= delay <= min(600, 2 * 2 ** (attempt - 1))


def test_retry_after_is_respected_up_to_the_cap() -> None:
    policy = RetryPolicy(base_s=1, cap_s=30)
    assert policy.delay(1, random.Random(1), retry_after=20) >= 20
    assert policy.delay(1, random.Random(1), retry_after=999) <= 30


@pytest.mark.parametrize(
    ("status", "kind"),
    [(200, DELIVERED), (202, DELIVERED), (408, RETRY), (429, RETRY), (500, RETRY),
     (503, RETRY), (400, DEAD), (401, DEAD), (404, DEAD), (410, DEAD), (301, DEAD)],
)  # fmt: skip
def test_what_each_answer_means(status: int, kind: str) -> None:
    assert classify_status(status) == kind


def test_retries_become_dead_when_attempts_are_spent() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert outcome_after(RETRY, 2, policy) == RETRY
    assert outcome_after(RETRY, 3, policy) == DEAD
    assert outcome_after(DELIVERED, 3, policy) == DELIVERED
