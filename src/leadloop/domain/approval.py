"""Who may sign the sales-ready agreement, and when a signed version becomes active.

A rule version becomes active once one person with the marketing role and one with the
sales role have approved its exact text (by hash). One person cannot sign for both sides;
an admin signs for the side they name. Repeating an approval changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from leadloop.errors import ConflictError, ValidationError

USER_ROLES: Final = ("marketing", "sales", "admin")
APPROVER_ROLES: Final = ("marketing", "sales")
VERSION_STATUSES: Final = ("draft", "active", "superseded")


@dataclass(frozen=True, slots=True)
class Signature:
    """One recorded approval."""

    role: str
    user_id: int
    sha256: str


def approval_role(user_email: str, user_role: str, as_role: str | None) -> str:
    """The side a user signs for: their own role, or the one an admin names.

    Raises:
        ValidationError: an admin who names no side, or a user naming the other side.
    """
    if as_role is not None and as_role not in APPROVER_ROLES:
        raise ValidationError(
            f"cannot approve as {as_role!r}; allowed: {', '.join(APPROVER_ROLES)}", role=as_role
        )
    if user_role == "admin":
        if as_role is None:
            raise ValidationError(
                f"{user_email} is an admin: say which side they sign for with --role "
                "marketing or --role sales",
                user=user_email,
            )
        return as_role
    if as_role is not None and as_role != user_role:
        raise ValidationError(
            f"{user_email} has the {user_role} role and cannot approve as {as_role}",
            user=user_email,
        )
    return user_role


def needs_signature(
    version: int, sha256: str, signatures: Mapping[str, Signature], user_id: int, role: str
) -> bool:
    """True when this approval must be recorded; False when it is already there (no-op).

    Raises:
        ConflictError: the user already signed for the other side, or the signed text changed.
    """
    for other in signatures.values():
        if other.user_id == user_id and other.role != role:
            raise ConflictError(
                f"rule version {version}: the same person cannot approve for both marketing "
                f"and sales; they already approved as {other.role}",
                version=version,
            )
    mine = signatures.get(role)
    if mine is None:
        return True
    if mine.sha256 != sha256:
        raise ConflictError(
            f"rule version {version} was approved for {role} with different content",
            version=version,
        )
    return False


def is_agreed(signatures: Mapping[str, Signature]) -> bool:
    """Both sides signed."""
    return all(role in signatures for role in APPROVER_ROLES)
