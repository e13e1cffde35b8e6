"""Workspaces, their sources and API keys (stored only as SHA-256 hashes)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from leadloop.errors import ConflictError, NotFoundError, ValidationError
from leadloop.store.engine import utcnow, write_transaction
from leadloop.store.tables import api_keys, sources, workspaces

SCOPES = ("write", "admin")


@dataclass(frozen=True, slots=True)
class KeyRow:
    """A key as an operator sees it: its prefix, never the key."""

    prefix: str
    name: str
    scope: str
    source: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """Who a presented key belongs to and what it may do."""

    key_id: int
    workspace_id: int
    source_id: int
    scope: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class WorkspaceRepository:
    """Create and look up workspaces, sources and keys."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_workspace(self, slug: str, name: str | None = None) -> int:
        with write_transaction(self.engine) as conn:
            if conn.execute(select(workspaces.c.id).where(workspaces.c.slug == slug)).first():
                raise ConflictError(f"workspace {slug!r} already exists", slug=slug)
            result = conn.execute(
                workspaces.insert().values(slug=slug, name=name or slug, created_at=utcnow())
            )
            assert result.inserted_primary_key is not None
            return int(result.inserted_primary_key[0])

    def workspace_id(self, slug: str) -> int:
        with self.engine.connect() as conn:
            row = conn.execute(select(workspaces.c.id).where(workspaces.c.slug == slug)).first()
        if row is None:
            raise NotFoundError(
                f"workspace {slug!r} does not exist; create it with "
                f"`leadloop workspace create {slug}`",
                slug=slug,
            )
        return int(row[0])

    def ensure_workspace(self, slug: str, name: str | None = None) -> int:
        try:
            return self.workspace_id(slug)
        except NotFoundError:
            return self.create_workspace(slug, name)

    def source_id(self, workspace_id: int, name: str) -> int:
        """The id of a named source, created on first use."""
        with write_transaction(self.engine) as conn:
            row = conn.execute(
                select(sources.c.id).where(
                    sources.c.workspace_id == workspace_id, sources.c.name == name
                )
            ).first()
            if row is not None:
                return int(row[0])
            result = conn.execute(
                sources.insert().values(workspace_id=workspace_id, name=name, created_at=utcnow())
            )
            assert result.inserted_primary_key is not None
            return int(result.inserted_primary_key[0])

    def create_key(
        self,
        workspace_id: int,
        *,
        scope: str,
        source: str = "default",
        name: str = "key",
        key: str | None = None,
    ) -> str:
        """Create a key and return its plaintext, the only time it is ever visible."""
        if scope not in SCOPES:
            raise ValidationError(f"scope must be one of {', '.join(SCOPES)}; got {scope!r}")
        source_id = self.source_id(workspace_id, source)
        plain = key or f"ll_{scope[0]}_{secrets.token_urlsafe(24)}"
        with write_transaction(self.engine) as conn:
            conn.execute(
                api_keys.insert().values(
                    workspace_id=workspace_id,
                    source_id=source_id,
                    name=name,
                    prefix=plain[:10],
                    key_hash=hash_key(plain),
                    scope=scope,
                    created_at=utcnow(),
                )
            )
        return plain

    def list_keys(self, workspace_id: int, key_id: int | None = None) -> list[KeyRow]:
        """Every key of a workspace (or the one ``key_id``), revoked ones too, oldest first;
        never the key itself."""
        k, src = api_keys.c, sources.c
        query = (
            select(k.prefix, k.name, k.scope, src.name, k.created_at, k.revoked_at)
            .join_from(api_keys, sources, k.source_id == src.id)
            .where(k.workspace_id == workspace_id)
            .order_by(k.id)
        )
        if key_id is not None:
            query = query.where(k.id == key_id)
        with self.engine.connect() as conn:
            return [KeyRow(*r) for r in conn.execute(query).all()]

    def revoke_key(self, workspace_id: int, prefix: str) -> KeyRow:
        """Revoke the one live key whose prefix starts with ``prefix`` (as `list` shows it).

        Raises:
            NotFoundError: no live key of this workspace has that prefix.
            ValidationError: several do (give more characters).
        """
        if len(prefix) < 6:
            raise ValidationError("give at least the first 6 characters of the key's prefix")
        k = api_keys.c
        with write_transaction(self.engine) as conn:
            found = conn.execute(
                select(k.id, k.prefix).where(
                    k.workspace_id == workspace_id,
                    k.revoked_at.is_(None),
                    k.prefix.startswith(prefix, autoescape=True),
                )
            ).all()
            if not found:
                raise NotFoundError(
                    f"no live key of this workspace starts with {prefix!r}; "
                    "`leadloop key list` shows the prefixes"
                )
            if len(found) > 1:
                raise ValidationError(
                    f"{len(found)} live keys start with {prefix!r}: give more of the prefix "
                    f"({', '.join(sorted(str(f.prefix) for f in found))})"
                )
            conn.execute(api_keys.update().where(k.id == found[0].id).values(revoked_at=utcnow()))
        return self.list_keys(workspace_id, int(found[0].id))[0]

    def authenticate(self, key: str) -> KeyInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    api_keys.c.id, api_keys.c.workspace_id, api_keys.c.source_id, api_keys.c.scope
                ).where(api_keys.c.key_hash == hash_key(key), api_keys.c.revoked_at.is_(None))
            ).first()
        if row is None:
            return None
        return KeyInfo(int(row.id), int(row.workspace_id), int(row.source_id), str(row.scope))

    def list_workspaces(self) -> list[tuple[int, str, str, int]]:
        """(id, slug, name, number of live keys) for every workspace."""
        keys = (
            select(api_keys.c.workspace_id, func.count().label("n"))
            .where(api_keys.c.revoked_at.is_(None))
            .group_by(api_keys.c.workspace_id)
            .subquery()
        )
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(workspaces.c.id, workspaces.c.slug, workspaces.c.name, keys.c.n)
                .outerjoin(keys, keys.c.workspace_id == workspaces.c.id)
                .order_by(workspaces.c.id)
            ).all()
        return [(int(r[0]), str(r[1]), str(r[2]), int(r[3] or 0)) for r in rows]
