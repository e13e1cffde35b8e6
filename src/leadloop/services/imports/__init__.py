"""Bulk import: events, contacts and accounts from NDJSON, CSV or Parquet files.

Streams in constant memory (one chunk of records at a time), quarantines bad records with
their line number and reason, and is idempotent: running the same file again adds nothing.

    files.py      formats, readers (plain or gzip), line numbers
    mapping.py    column → field mappings and value types
    runner.py     the chunked read/convert/write loop, ImportReport, progress
    events.py     import_events (through the tracking write path)
    directory.py  import_contacts, import_accounts (through store.directory)
    opportunities.py  import_opportunities (through store.crm, like the CRM syncs)
    costs.py      import_costs (the cost ledger, store.costs)
"""

from leadloop.services.imports.costs import import_costs
from leadloop.services.imports.directory import import_accounts, import_contacts
from leadloop.services.imports.event_records import derived_message_id
from leadloop.services.imports.events import import_events
from leadloop.services.imports.files import FORMATS, detect_format
from leadloop.services.imports.mapping import load_mapping_file, parse_map_options
from leadloop.services.imports.opportunities import import_opportunities
from leadloop.services.imports.runner import ImportProgress, ImportReport, source_label

__all__ = [
    "FORMATS",
    "ImportProgress",
    "ImportReport",
    "derived_message_id",
    "detect_format",
    "import_accounts",
    "import_contacts",
    "import_costs",
    "import_events",
    "import_opportunities",
    "load_mapping_file",
    "parse_map_options",
    "source_label",
]
