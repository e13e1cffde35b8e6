"""The declared taxonomy of a workspace (``content_terms``): read it, and write a file's."""

from __future__ import annotations

from collections import defaultdict
from types import MappingProxyType

from sqlalchemy import Connection, Engine, delete, select, update

from leadloop.domain.taxonomy import Taxonomy
from leadloop.store.engine import utcnow
from leadloop.store.tables import content_terms


def read_taxonomy(engine: Engine | Connection, workspace_id: int) -> Taxonomy:
    """The workspace's declared terms; kinds without any term stay open."""
    query = (
        select(content_terms.c.kind, content_terms.c.term, content_terms.c.description)
        .where(content_terms.c.workspace_id == workspace_id)
        .order_by(content_terms.c.kind, content_terms.c.id)
    )
    if isinstance(engine, Engine):
        with engine.connect() as conn:
            rows = conn.execute(query).all()
    else:
        rows = engine.execute(query).all()
    terms: dict[str, dict[str, str]] = defaultdict(dict)
    for kind, term, description in rows:
        terms[kind][term] = description or ""
    return Taxonomy(MappingProxyType({k: MappingProxyType(v) for k, v in terms.items()}))


def write_taxonomy(conn: Connection, workspace_id: int, taxonomy: Taxonomy, *, prune: bool) -> int:
    """Add new terms and changed descriptions of the declared kinds; returns terms changed.

    With ``prune``, terms of a declared kind that the taxonomy no longer lists are removed;
    kinds it does not declare are never touched.
    """
    stored = read_taxonomy(conn, workspace_id)
    now = utcnow()
    changed = 0
    table = content_terms
    for kind, terms in taxonomy.terms.items():
        have = stored.terms.get(kind, {})
        new = [
            {"workspace_id": workspace_id, "kind": kind, "term": t, "description": d or None,
             "created_at": now, "updated_at": now}
            for t, d in terms.items() if t not in have
        ]  # fmt: skip
        if new:
            conn.execute(table.insert(), new)
        for term, description in terms.items():
            if term in have and have[term] != description:
                conn.execute(
                    update(table)
                    .where(table.c.workspace_id == workspace_id, table.c.kind == kind,
                           table.c.term == term)
                    .values(description=description or None, updated_at=now)
                )  # fmt: skip
                changed += 1
        gone = [t for t in have if t not in terms] if prune else []
        if gone:
            conn.execute(
                delete(table).where(table.c.workspace_id == workspace_id, table.c.kind == kind,
                                    table.c.term.in_(gone))
            )  # fmt: skip
        changed += len(new) + len(gone)
    return changed
