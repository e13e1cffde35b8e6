"""Editing the catalog one item at a time (the API): the same validator as files.

A body is validated as a record of a file called ``request body``, against the workspace's
stored taxonomy, so an API client gets the same messages a file author does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict

from sqlalchemy import Engine

from leadloop.domain.catalog import validate_record
from leadloop.domain.content import ContentItem
from leadloop.domain.problems import Problem, RawRecord
from leadloop.domain.stages import normalise_stage
from leadloop.domain.taxonomy import term_key
from leadloop.services.catalog.load import invalid
from leadloop.store import catalog as store
from leadloop.store.catalog import StoredContent
from leadloop.store.taxonomy import read_taxonomy

BODY = "request body"


def validated(engine: Engine, workspace_id: int, values: Mapping[str, object]) -> ContentItem:
    """An item from API values, or CatalogValidationError naming each bad field."""
    taxonomy = read_taxonomy(engine, workspace_id)
    item, problems = validate_record(RawRecord(0, dict(values)), file=BODY, taxonomy=taxonomy)
    if item is None:
        raise invalid(problems, BODY)
    return item


def get_content(engine: Engine, workspace_id: int, asset_id: str) -> StoredContent:
    """One item; NotFoundError when the workspace has none with this asset id."""
    return store.get_item(engine, workspace_id, asset_id)


def create_content(
    engine: Engine, workspace_id: int, values: Mapping[str, object]
) -> StoredContent:
    """Add an item; ConflictError when its asset id or url is already catalogued."""
    return store.insert_item(engine, workspace_id, validated(engine, workspace_id, values))


def replace_content(
    engine: Engine, workspace_id: int, asset_id: str, values: Mapping[str, object]
) -> StoredContent:
    """Replace every field of an item; the asset id in the body, if any, must match."""
    body_id = values.get("asset_id")
    if body_id not in (None, asset_id):
        problem = Problem(BODY, 0, "asset_id", f"{body_id!r} differs from the path's "
                          f"{asset_id!r}; an item's asset_id cannot be changed")  # fmt: skip
        raise invalid([problem], BODY)
    store.get_item(engine, workspace_id, asset_id)  # 404 before 422
    item = validated(engine, workspace_id, {**values, "asset_id": asset_id})
    return store.replace_item(engine, workspace_id, item)


def patch_content(
    engine: Engine, workspace_id: int, asset_id: str, changes: Mapping[str, object]
) -> StoredContent:
    """Change some fields of an item, validating the item they make."""
    current = asdict(store.get_item(engine, workspace_id, asset_id).item)
    return replace_content(engine, workspace_id, asset_id, {**current, **changes})


def delete_content(engine: Engine, workspace_id: int, asset_id: str) -> None:
    store.delete_item(engine, workspace_id, asset_id)


def _has(terms: tuple[str, ...], wanted: str | None) -> bool:
    return wanted is None or term_key(wanted) in {term_key(t) for t in terms}


def find_content(
    engine: Engine,
    workspace_id: int,
    *,
    stage: str | None = None,
    topic: str | None = None,
    persona: str | None = None,
    segment: str | None = None,
    fmt: str | None = None,
) -> list[StoredContent]:
    """Catalog items matching every filter given (terms compared ignoring case/spacing)."""
    if stage is not None:
        try:
            stage = normalise_stage(stage)
        except ValueError as exc:
            raise invalid([Problem("query", 0, "stage", str(exc))], "the query") from None
    found = store.list_items(engine, workspace_id, stage=stage)
    return [
        s for s in found
        if _has(s.item.topics, topic) and _has(s.item.personas, persona)
        and _has(s.item.segments, segment) and _has((s.item.format,), fmt)
    ]  # fmt: skip
