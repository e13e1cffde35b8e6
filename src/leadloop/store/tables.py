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

# --- Passive profiling (issue 3, revision 0005) -------------------------------------------
# Per (identity, asset) consumption state, the fold of every event about that asset
# (leadloop.domain.consumption.AssetState). Keyed by identity, not contact: a merge re-points
# identities and the profile combines their states, so no state is rewritten.

profile_states = Table(
    "profile_states",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    Column("identity_id", BigInteger, primary_key=True),
    Column("asset_id", String(255), primary_key=True),
    Column("first_at_ms", BigInteger, nullable=False),
    Column("last_at_ms", BigInteger, nullable=False),
    Column("first_event_id", BigInteger, nullable=False),
    Column("last_event_id", BigInteger, nullable=False),
    Column("events", Integer, nullable=False),
    Column("depth", Float, nullable=False),
    Column("active_ms", BigInteger, nullable=False),
    Column("sections_json", Text, nullable=False),
    Column("sections_total", Integer, nullable=False),
    Column("visits", Integer, nullable=False),
    Column("downloads", Integer, nullable=False),
)

# How far the profile updater has read each workspace's events (events.id, in id order).
profile_cursors = Table(
    "profile_cursors",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    Column("last_event_id", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# One row per contact with a profile: the as-of-independent values lists filter on.
# weight_log2 is the forward-decayed total weight (docs/profiling.md), so "warm" and "hot"
# can be filtered at any time with one comparison.
profiles = Table(
    "profiles",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    Column("contact_id", BigInteger, primary_key=True),
    Column("buying_stage", String(20)),
    Column("persona", String(200)),
    Column("segment", String(200)),
    Column("top_interest", String(200)),
    Column("weight_log2", Float),
    Column("last_hot_at_ms", BigInteger),
    Column("assets", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "workspace_id", "buying_stage"),
)

profile_interests = Table(
    "profile_interests",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    Column("contact_id", BigInteger, primary_key=True),
    Column("topic", String(200), primary_key=True),
    Column("rank", Integer, nullable=False),
    Index(None, "workspace_id", "topic"),
)
