"""Webhook signatures: HMAC-SHA256 over ``timestamp + "." + body`` with the endpoint secret.

Receivers verify with :func:`verify_signature` (or their own few lines, see
docs/handoff.md). The timestamp is inside the signed text, so a captured request cannot be
replayed later than ``tolerance_s``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Final

SIGNATURE_HEADER: Final = "Leadloop-Signature"
DELIVERY_ID_HEADER: Final = "Leadloop-Delivery-Id"
EVENT_HEADER: Final = "Leadloop-Event"
ATTEMPT_HEADER: Final = "Leadloop-Attempt"


class SignatureError(ValueError):
    """The signature header is missing, malformed, stale or does not match."""


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The ``Leadloop-Signature`` header value for ``body`` sent at ``timestamp``.

    >>> sign("s3cret", b'{"a":1}', 1700000000)[:13]
    't=1700000000,'
    """
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str,
    body: bytes,
    header: str | None,
    *,
    tolerance_s: int = 300,
    now: float | None = None,
) -> int:
    """Check a received webhook; return its timestamp.

    Raises:
        SignatureError: saying what is wrong (missing, malformed, too old, mismatch).
    """
    if not header:
        raise SignatureError(f"no {SIGNATURE_HEADER} header")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        raise SignatureError(f"{SIGNATURE_HEADER} has no t=<unix time>: {header[:40]!r}") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        raise SignatureError(f"signature timestamp {timestamp} is more than {tolerance_s}s away")
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    given = [v for k, v in (p.split("=", 1) for p in header.split(",") if "=" in p) if k == "v1"]
    if not any(hmac.compare_digest(expected, g) for g in given):
        raise SignatureError("signature does not match the body and the endpoint secret")
    return timestamp
