"""The operational store's tables (SQLAlchemy Core), shared by SQLite and PostgreSQL.

Every row belongs to a workspace. Events are append-only: identity resolution never
rewrites them. An event points at the identity (device or user id) it arrived with, and
identities point at contacts; merging two people re-points identities, so no event is
ever moved, lost or copied.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
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

# --- Content catalog (revision 0004) ------------------------------------------------------
# The user's declared vocabulary: once a kind (topics, personas, segments, formats) has
# terms here, catalog items must use them (leadloop.domain.taxonomy).
content_terms = Table(
    "content_terms",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("term", String(200), nullable=False),
    Column("description", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("workspace_id", "kind", "term"),
)

# --- Sales-ready agreement and lead lifecycle (issue 4, revision 0006) -----------------------
# Users sign rule versions in their role; a version is active once marketing and sales have
# both approved it. Every lifecycle move is a lead_transitions row; lead_states holds the
# current state and cycle per contact (the row qualification and sales actions lock).

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("email", String(320), nullable=False),
    Column("name", String(300)),
    Column("role", String(20), nullable=False),  # marketing | sales | admin
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("workspace_id", "email"),
)

rule_versions = Table(
    "rule_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", String(300), nullable=False),
    Column("yaml_text", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("uploaded_by", ForeignKey("users.id"), nullable=False),
    Column("uploaded_at", UtcDateTime, nullable=False),
    Column("status", String(12), nullable=False),  # draft | active | superseded
    Column("activated_at", UtcDateTime),
    Column("superseded_at", UtcDateTime),
    UniqueConstraint("workspace_id", "version"),
)

rule_approvals = Table(
    "rule_approvals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("rule_version_id", ForeignKey("rule_versions.id"), nullable=False),
    Column("role", String(20), nullable=False),  # marketing | sales
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("approved_at", UtcDateTime, nullable=False),
    UniqueConstraint("rule_version_id", "role"),
)

lead_states = Table(
    "lead_states",
    metadata,
    Column("contact_id", ForeignKey("contacts.id"), primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("state", String(20), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("since", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "workspace_id", "state"),
)

lead_transitions = Table(
    "lead_transitions",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("contact_id", ForeignKey("contacts.id"), nullable=False),
    Column("from_state", String(20)),
    Column("to_state", String(20), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor_kind", String(10), nullable=False),  # rule | user | crm | system
    Column("actor_id", String(320)),
    Column("reason", Text),
    Column("rule_version", Integer),
    Column("cycle", Integer, nullable=False),
    Index(None, "contact_id", "id"),
    Index(None, "workspace_id", "at"),
)

qualifications = Table(
    "qualifications",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("contact_id", ForeignKey("contacts.id"), nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("reasons_json", Text, nullable=False),
    Column("as_of", UtcDateTime, nullable=False),
    Column("qualified_at", UtcDateTime, nullable=False),
    UniqueConstraint("contact_id", "cycle"),
    Index(None, "workspace_id", "qualified_at"),
)


# --- Hand-off to sales and service levels (revision 0007) -------------------------------
# Sales reps and how leads are assigned to them; hand-offs (one per contact and sales-ready
# cycle); the transactional outbox the delivery worker drains; SLA breaches.

sales_reps = Table(
    "sales_reps",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("name", String(300), nullable=False),
    Column("email", String(320), nullable=False),
    Column("manager_id", ForeignKey("sales_reps.id")),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("workspace_id", "email"),
)

account_owners = Table(
    "account_owners",
    metadata,
    Column("account_id", ForeignKey("accounts.id"), primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("rep_id", ForeignKey("sales_reps.id"), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

assignment_policies = Table(
    "assignment_policies",
    metadata,
    Column("workspace_id", ForeignKey("workspaces.id"), primary_key=True),
    Column("policy_json", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

assignment_cursors = Table(
    "assignment_cursors",
    metadata,
    Column("workspace_id", ForeignKey("workspaces.id"), primary_key=True),
    Column("pool", String(200), primary_key=True),
    Column("last_rep_id", Integer, nullable=False),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("url", String(2000), nullable=False),
    # The signing secret itself, or the name of the environment variable that holds it.
    Column("secret", String(200)),
    Column("secret_env", String(200)),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

hand_offs = Table(
    "hand_offs",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("contact_id", ForeignKey("contacts.id"), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("rep_id", ForeignKey("sales_reps.id")),  # NULL: no active rep could take it
    Column("strategy", String(20), nullable=False),
    Column("assignment_reason", String(300), nullable=False),
    Column("reasons_json", Text, nullable=False),
    Column("rule_version", String(100), nullable=False),
    Column("hot", Boolean, nullable=False),
    Column("context_json", Text, nullable=False),
    Column("status", String(12), nullable=False),  # pending | accepted | rejected
    Column("created_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("responded_at", UtcDateTime),
    Column("escalations", Integer, nullable=False),
    UniqueConstraint("workspace_id", "contact_id", "cycle"),
    Index(None, "status", "due_at"),
    Index(None, "workspace_id", "rep_id"),
)

sla_breaches = Table(
    "sla_breaches",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("hand_off_id", ForeignKey("hand_offs.id"), nullable=False),
    Column("rep_id", ForeignKey("sales_reps.id")),
    Column("manager_id", ForeignKey("sales_reps.id")),
    Column("reassigned_to_id", ForeignKey("sales_reps.id")),
    Column("escalated", Boolean, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("detected_at", UtcDateTime, nullable=False),
    UniqueConstraint("hand_off_id", "rep_id"),
    Index(None, "workspace_id", "rep_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("channel", String(10), nullable=False),  # webhook | email
    Column("event", String(40), nullable=False),
    Column("endpoint_id", ForeignKey("webhook_endpoints.id")),
    Column("recipient", String(320)),  # e-mail channel: the rep or manager
    Column("payload_json", Text, nullable=False),
    # Ordinary leads join an open batch with the same key until available_at; hot ones never.
    Column("batch_key", String(200)),
    Column("status", String(12), nullable=False),  # pending | delivered | dead
    Column("attempts", Integer, nullable=False),
    Column("available_at", UtcDateTime, nullable=False),
    Column("locked_until", UtcDateTime),
    Column("locked_by", String(100)),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime),
    Index(None, "status", "available_at"),
    Index(None, "batch_key", "status"),
    Index(None, "workspace_id", "status"),
)

outbox_attempts = Table(
    "outbox_attempts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("outbox_id", ForeignKey("outbox.id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("worker", String(100), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=False),
    Column("outcome", String(12), nullable=False),  # delivered | retry | dead
    Column("status_code", Integer),
    Column("error", Text),
    Index(None, "outbox_id"),
)


# -- CRM sync (issue 5, revision 0008) ------------------------------------------------------
# Opportunities from every connector (Salesforce, HubSpot, file import), their contact
# roles, the incremental cursor per connector and object, and per-record failures that the
# next run retries.

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


# -- Cost ledger (issue 6, revision 0010) -------------------------------------------------
# What marketing and sales spent per month, per program, campaign and component; the
# numerator of CPOD. One row per (workspace, month, kind, program, campaign, component):
# reloading a line replaces its amount.

cost_entries = Table(
    "cost_entries",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("month", Date, nullable=False),  # first day of the month
    Column("kind", String(10), nullable=False),  # marketing | sales
    Column("program", String(200), nullable=False),
    Column("campaign", String(200), nullable=False),  # '' when the line is the program's
    Column("channel", String(100), nullable=False),
    Column("component", String(40), nullable=False),
    Column("amount", Float, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("source", String(300), nullable=False),  # import:<file> | api | cli
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint(
        "workspace_id",
        "month",
        "kind",
        "program",
        "campaign",
        "component",
        name="uq_cost_entries_line",
    ),
    Index(None, "workspace_id", "month"),
)


# -- Closing the loop: content tagged to the sale (issue 5, revision 0009) -----------------
# What each opportunity's contacts and its account's other contacts consumed before it
# closed, the opportunities waiting to be (re)tagged, and which lifecycle move each
# opportunity already made for each contact (so a re-sync or a re-import moves nobody twice).
sale_content = Table(
    "sale_content",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("opportunity_id", ForeignKey("opportunities.id"), nullable=False),
    Column("asset_id", String(255), nullable=False),
    Column("contact_id", ForeignKey("contacts.id"), nullable=False),
    Column("relation", String(12), nullable=False),  # contact_role | account
    Column("first_consumed_at", UtcDateTime, nullable=False),
    Column("last_consumed_at", UtcDateTime, nullable=False),
    Column("grade", String(12), nullable=False),  # deepest: glance ... downloaded
    Column("visits", Integer, nullable=False),
    Column("events", Integer, nullable=False),
    Column("tagged_at", UtcDateTime, nullable=False),
    UniqueConstraint("opportunity_id", "asset_id", "contact_id"),
    Index(None, "workspace_id", "asset_id"),
)
sale_content_queue = Table(
    "sale_content_queue",
    metadata,
    Column("opportunity_id", ForeignKey("opportunities.id"), primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("queued_at", UtcDateTime, nullable=False),
    Index(None, "workspace_id", "queued_at"),
)
sale_lead_moves = Table(
    "sale_lead_moves",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("opportunity_id", ForeignKey("opportunities.id"), nullable=False),
    Column("contact_id", ForeignKey("contacts.id"), nullable=False),
    Column("status", String(4), nullable=False),  # open | won | lost: the status acted on
    Column("outcome", String(12), nullable=False),  # moved | unchanged | skipped
    Column("lead_state", String(20), nullable=False),  # the lead's state afterwards
    Column("detail", Text),
    Column("at", UtcDateTime, nullable=False),
    UniqueConstraint("opportunity_id", "contact_id", "status"),
    Index(None, "contact_id"),
)

# --- Ingest inbox (revision 0011) ---------------------------------------------------------
# With `LEADLOOP_INGEST_INBOX`, a tracking request is durable once its body is here; the
# drain (leadloop.services.inbox_drain) turns it into events later. PostgreSQL keeps the rows
# in this table; SQLite keeps them in a sidecar file with the same table (store/inbox.py),
# so ingest never waits for the main file's one write lock, and records in `inbox_cursor`,
# inside each drain's transaction, the last sidecar row it turned into events.
inbox = Table(
    "inbox",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", Integer, nullable=False),
    Column("source_id", Integer, nullable=False),
    Column("source", String(300), nullable=False),  # "api:/v1/batch": the quarantine source
    Column("implied_type", String(10)),  # the type a single-message path implies
    Column("received_at", UtcDateTime, nullable=False),
    Column("ip", String(64)),
    Column("messages", Integer, nullable=False),  # valid messages, for the backlog limit
    Column("body", LargeBinary, nullable=False),  # the decoded JSON body, zlib-compressed
    sqlite_autoincrement=True,  # ids never reused after a trim: the cursor relies on it
)
inbox_cursor = Table(
    "inbox_cursor",
    metadata,
    Column("inbox", String(36), primary_key=True),  # the sidecar file's own id
    Column("last_id", BigInteger, nullable=False),
)
