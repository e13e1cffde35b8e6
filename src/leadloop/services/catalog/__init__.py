"""The content catalog: load a YAML/CSV file, or edit items one by one, with one validator."""

from leadloop.services.catalog.edit import (
    create_content,
    delete_content,
    find_content,
    get_content,
    patch_content,
    replace_content,
)
from leadloop.services.catalog.files import RawCatalog, read_catalog
from leadloop.services.catalog.load import (
    CatalogLoadReport,
    check_catalog,
    check_catalog_file,
    load_catalog_file,
)

__all__ = [
    "CatalogLoadReport",
    "RawCatalog",
    "check_catalog",
    "check_catalog_file",
    "create_content",
    "delete_content",
    "find_content",
    "get_content",
    "load_catalog_file",
    "patch_content",
    "read_catalog",
    "replace_content",
]
