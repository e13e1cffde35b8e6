"""Users of a workspace and their role (marketing, sales or admin)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from leadloop.domain.approval import USER_ROLES
from leadloop.errors import ConflictError, NotFoundError, ValidationError
from leadloop.store.engine import utcnow, write_transaction
from leadloop.store.tables import users


@dataclass(frozen=True, slots=True)
class User:
    id: int
    workspace_id: int
    email: str
    name: str | None
    role: str


class UserRepository:
    """Add and look up the people who sign rules and act on leads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, workspace_id: int, email: str, role: str, name: str | None = None) -> User:
        email = email.strip().lower()
        if role not in USER_ROLES:
            raise ValidationError(f"unknown role {role!r}; allowed: {', '.join(USER_ROLES)}")
        if "@" not in email:
            raise ValidationError(f"{email!r} is not an e-mail address")
        with write_transaction(self.engine) as conn:
            if conn.execute(
                select(users.c.id).where(
                    users.c.workspace_id == workspace_id, users.c.email == email
                )
            ).first():
                raise ConflictError(f"user {email} already exists in this workspace", email=email)
            result = conn.execute(
                users.insert().values(
                    workspace_id=workspace_id,
                    email=email,
                    name=name,
                    role=role,
                    created_at=utcnow(),
                )
            )
            assert result.inserted_primary_key is not None
            return User(int(result.inserted_primary_key[0]), workspace_id, email, name, role)

    def by_email(self, workspace_id: int, email: str) -> User:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users).where(
                    users.c.workspace_id == workspace_id, users.c.email == email.strip().lower()
                )
            ).first()
        if row is None:
            raise NotFoundError(
                f"no user {email} in this workspace; add one with "
                f"`leadloop user add {email} --role marketing|sales|admin`",
                email=email,
            )
        return User(row.id, row.workspace_id, row.email, row.name, row.role)

    def list(self, workspace_id: int) -> list[User]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(users).where(users.c.workspace_id == workspace_id).order_by(users.c.id)
            ).all()
        return [User(r.id, r.workspace_id, r.email, r.name, r.role) for r in rows]
