"""Checking and loading a catalog file: read, validate against the taxonomy, sync the store.

The taxonomy a file is checked against is its own ``taxonomy`` section for the kinds it
declares, and the workspace's stored taxonomy for the others, so a CSV catalog (which has no
taxonomy section) still gets the vocabulary check once a YAML file has declared it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from leadloop.domain.catalog import CatalogResult, validate_records
from leadloop.domain.problems import Problem
from leadloop.domain.taxonomy import EMPTY_TAXONOMY, Taxonomy, parse_taxonomy
from leadloop.errors import CatalogValidationError
from leadloop.services.catalog.files import RawCatalog, read_catalog
from leadloop.store.catalog import SyncCounts, sync_catalog
from leadloop.store.taxonomy import read_taxonomy


@dataclass(frozen=True, slots=True)
class CatalogLoadReport:
    """What ``load_catalog_file`` did: items in the file and the store changes."""

    file: str
    items: int
    counts: SyncCounts
    dry_run: bool = False

    @property
    def changed(self) -> int:
        """Rows and terms created, updated or deleted (0 when the file was loaded before)."""
        return self.counts.changed


def check_catalog(raw: RawCatalog, stored: Taxonomy = EMPTY_TAXONOMY) -> CatalogResult:
    """Every problem of a read catalog, sorted by line; ``taxonomy`` is the file's own."""
    own, problems = EMPTY_TAXONOMY, list(raw.problems)
    if raw.taxonomy is not None:
        own, found = parse_taxonomy(raw.taxonomy, raw.file)
        problems.extend(found)
    result = validate_records(raw.records, file=raw.file, taxonomy=own.merged_over(stored))
    problems.extend(result.problems)
    return CatalogResult(result.items, tuple(sorted(problems, key=lambda p: p.line)), own)


def check_catalog_file(path: Path, stored: Taxonomy = EMPTY_TAXONOMY) -> CatalogResult:
    """Read and check a catalog file (see :func:`check_catalog`).

    Raises:
        ValidationError: the file cannot be read at all (missing, not UTF-8, unknown type).
    """
    return check_catalog(read_catalog(path), stored)


def invalid(problems: Sequence[Problem], what: str) -> CatalogValidationError:
    """The error for a catalog with problems: the first one in the message, all in detail."""
    first = problems[0]
    where = str(first) if first.line else f"{first.field}: {first.message}"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return CatalogValidationError(f"{what} is not a valid catalog: {where}{more}", problems)


def load_catalog_file(
    engine: Engine, workspace_id: int, path: Path, *, prune: bool = False, dry_run: bool = False
) -> CatalogLoadReport:
    """Validate ``path`` and make the workspace's catalog match it (idempotent).

    Raises:
        CatalogValidationError: with every problem of the file; nothing is written.
        ConflictError: an item takes the url of a stored asset the file does not list.
    """
    result = check_catalog_file(path, read_taxonomy(engine, workspace_id))
    if not result.ok:
        raise invalid(result.problems, str(path))
    taxonomy = result.taxonomy if result.taxonomy.terms else None
    counts = sync_catalog(
        engine, workspace_id, result.items, taxonomy, prune=prune, dry_run=dry_run
    )
    return CatalogLoadReport(str(path), len(result.items), counts, dry_run)
