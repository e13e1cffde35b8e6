"""Every error Leadloop raises, in one tree.

    LeadloopError
    ├── ValidationError          bad input: a message, a file row, a setting
    │   ├── InvalidMessageError  one tracking message that cannot be stored
    │   ├── PayloadTooLargeError a request or message past the size limits
    │   ├── CatalogValidationError  catalog items (file or API body) with line-precise problems
    │   └── UnprocessableError   well-formed input the rules refuse (HTTP 422)
    │       ├── RuleError        a sales-ready rule file that does not validate (file:line)
    │       └── InvalidChoiceError a value outside a configured list (e.g. reject reasons)
    ├── AuthError                missing or unknown key, or a key without the scope
    │   └── ForbiddenError       a known user whose role may not do this (HTTP 403)
    ├── NotFoundError            a record that does not exist
    ├── ConflictError            a write that collides with existing data
    ├── IllegalTransitionError   a lifecycle move the state machine refuses
    ├── OverloadedError          back-pressure: try again after ``retry_after`` seconds
    ├── ConnectorError           a CRM or outside system failed
    │   ├── ConnectorAuthError
    │   └── RateLimitedError
    └── StoreError               the database failed

Each error carries a stable ``code`` (used in API bodies) and the context that produced it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class LeadloopError(Exception):
    """Base of every Leadloop error; ``code`` is stable, ``detail`` carries context."""

    code = "leadloop_error"

    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail: dict[str, Any] = detail


class ValidationError(LeadloopError):
    code = "invalid"


class InvalidMessageError(ValidationError):
    code = "invalid_message"


class PayloadTooLargeError(ValidationError):
    code = "too_large"


class CatalogValidationError(ValidationError):
    """Every problem of a catalog file or API body; ``problems`` are domain ``Problem``s."""

    code = "invalid_content"

    def __init__(self, message: str, problems: Sequence[Any] = (), **detail: Any) -> None:
        listed = [{"field": p.field, "line": p.line, "message": p.message} for p in problems]
        if problems:
            detail.setdefault("field", problems[0].field)
        super().__init__(message, problems=listed, **detail)
        self.problems = tuple(problems)


class UnprocessableError(ValidationError):
    code = "unprocessable"


class RuleError(UnprocessableError):
    code = "invalid_rules"


class InvalidChoiceError(UnprocessableError):
    code = "invalid_choice"


class AuthError(LeadloopError):
    code = "unauthorized"


class ForbiddenError(AuthError):
    code = "forbidden"


class NotFoundError(LeadloopError):
    code = "not_found"


class ConflictError(LeadloopError):
    code = "conflict"


class IllegalTransitionError(LeadloopError):
    code = "illegal_transition"


class OverloadedError(LeadloopError):
    code = "overloaded"

    def __init__(self, message: str, retry_after: int = 1, **detail: Any) -> None:
        super().__init__(message, retry_after=retry_after, **detail)
        self.retry_after = retry_after


class ConnectorError(LeadloopError):
    code = "connector_error"


class ConnectorAuthError(ConnectorError):
    code = "connector_auth"


class RateLimitedError(ConnectorError):
    code = "rate_limited"


class StoreError(LeadloopError):
    code = "store_error"
