"""The operational store's tables (SQLAlchemy Core), shared by SQLite and PostgreSQL.

Every row belongs to a workspace. Events are append-only: identity resolution never
rewrites them. An event points at the identity (device or user id) it arrived with, and
identities point at contacts; merging two people re-points identities, so no event is
ever moved, lost or copied.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")
UtcDateTime = DateTime(timezone=True)

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("workspace_id", "name"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("source_id", ForeignKey("sources.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("prefix", String(12), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("scope", String(10), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("name", String(300)),
    Column("domain", String(255)),
    Column("group_id", String(255)),
    Column("traits_json", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # The account's id in the CRM it was imported from (revision 0002).
    Column("crm_id", String(255)),
    UniqueConstraint("workspace_id", "domain"),
    UniqueConstraint("workspace_id", "group_id"),
    Index(None, "workspace_id", "crm_id", unique=True),
    Index(None, "workspace_id", "name"),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("status", String(12), nullable=False),  # anonymous | known
    Column("email", String(320)),
    Column("name", String(300)),
    Column("topics_json", Text),
    Column("account_id", ForeignKey("accounts.id")),
    Column("merged_into_id", ForeignKey("contacts.id")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Revision 0002: the persona/segment users assign (data they define, not something the
    # person typed) and the contact's id in the CRM it was imported from.
    Column("persona", String(100)),
    Column("crm_id", String(255)),
    UniqueConstraint("workspace_id", "email"),
    Index(None, "account_id"),
    Index(None, "merged_into_id"),  # merges re-point earlier losers without a table scan
    Index(None, "workspace_id", "crm_id"),
)

identities = Table(
    "identities",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("kind", String(10), nullable=False),  # anonymous | user
    Column("value", String(255), nullable=False),
    Column("contact_id", ForeignKey("contacts.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("workspace_id", "kind", "value"),
    Index(None, "contact_id"),
)

events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", Integer, nullable=False),
    Column("source_id", Integer, nullable=False),
    # Deduplication key: the client's own timestamp (epoch ms, 0 when absent) and a 64-bit
    # hash of messageId. A retry repeats both; leading with time keeps the index append-mostly.
    Column("dedup_ts", BigInteger, nullable=False),
    Column("dedup_hash", BigInteger, nullable=False),
    Column("message_id", String(255), nullable=False),
    Column("identity_id", BigInteger, nullable=False),
    Column("type", String(10), nullable=False),
    Column("event", String(255)),
    Column("timestamp", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("payload_json", Text, nullable=False),
    Column("dropped_traits", Text),
    UniqueConstraint("workspace_id", "source_id", "dedup_ts", "dedup_hash"),
    # Deliberately no index on identity_id: events is a log, clustered by arrival. A random
    # secondary index halves bulk insert speed (bench/RESULTS.md); per-person reading goes
    # through the profile tables instead.
)

content = Table(
    "content",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("asset_id", String(255)),
    Column("url", String(2000), nullable=False),
    Column("title", String(500)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Revision 0003: the tags passive profiling reads (leadloop.domain.content.ContentItem).
    # Topics, personas and segments are JSON arrays of the user's own words.
    Column("format", String(100)),
    Column("buying_stage", String(20)),
    Column("topics_json", Text),
    Column("personas_json", Text),
    Column("segments_json", Text),
    Column("signal", Float),
    UniqueConstraint("workspace_id", "url"),
    Index(None, "workspace_id", "asset_id", unique=True),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", Integer),
    Column("source", String(300), nullable=False),
    Column("line", BigInteger),
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Index(None, "workspace_id", "received_at"),
)

# -- CRM sync (issue 5, revision 0008) ------------------------------------------------------
# Opportunities from every connector (Salesforce, HubSpot, file import), their contact
# roles, the incremental cursor per connector and object, and per-record failures that the
# next run retries. Imported here so the other areas' sections stay untouched.
from sqlalchemy import Boolean, Date  # noqa: E402

opportunities = Table(
    "opportunities",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("connector", String(64), nullable=False),  # salesforce | hubspot | import:<source>
    Column("crm_id", String(255), nullable=False),
    Column("account_id", ForeignKey("accounts.id")),
    Column("account_crm_id", String(255)),
    Column("account_domain", String(255)),
    Column("account_name", String(300)),
    Column("name", String(300), nullable=False),
    Column("amount", Float),
    Column("currency", String(3)),
    Column("stage", String(100), nullable=False),
    Column("status", String(4), nullable=False),  # open | won | lost
    Column("type", String(10), nullable=False),  # new | expansion
    Column("created_at", UtcDateTime),
    Column("close_date", Date),
    Column("owner", String(255)),
    Column("last_modified", UtcDateTime),
    Column("raw_json", Text),
    Column("first_synced_at", UtcDateTime, nullable=False),
    Column("synced_at", UtcDateTime, nullable=False),
    UniqueConstraint("workspace_id", "connector", "crm_id"),
    Index(None, "workspace_id", "status"),
    Index(None, "account_id"),
)

opportunity_contacts = Table(
    "opportunity_contacts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("opportunity_id", ForeignKey("opportunities.id"), nullable=False),
    Column("contact_key", String(320), nullable=False),  # CRM contact id, else e-mail
    Column("contact_crm_id", String(255)),
    Column("email", String(320)),
    Column("contact_id", ForeignKey("contacts.id")),
    Column("role", String(100)),
    Column("is_primary", Boolean, nullable=False),
    UniqueConstraint("opportunity_id", "contact_key"),
    Index(None, "contact_id"),
)

crm_sync_state = Table(
    "crm_sync_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("connector", String(64), nullable=False),
    Column("object", String(40), nullable=False),
    Column("cursor", String(64)),
    Column("last_run_at", UtcDateTime),
    Column("last_success_at", UtcDateTime),
    Column("last_status", String(20)),
    Column("fetched", Integer, nullable=False),
    Column("created", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("rate_limited", Integer, nullable=False),
    UniqueConstraint("workspace_id", "connector", "object"),
)

crm_sync_errors = Table(
    "crm_sync_errors",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("connector", String(64), nullable=False),
    Column("object", String(40), nullable=False),
    Column("record_id", String(255), nullable=False),
    Column("error", Text, nullable=False),
    Column("raw_json", Text),
    Column("attempts", Integer, nullable=False),
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("last_attempt_at", UtcDateTime, nullable=False),
    Column("next_retry_at", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime),
    UniqueConstraint("workspace_id", "connector", "object", "record_id"),
)
