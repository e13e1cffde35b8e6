"""All settings in one place, read from ``LEADLOOP_*`` variables or ``.env``.

Defaults run out of the box: an embedded SQLite file next to where you run the command.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Leadloop configuration; each field's description feeds the docs."""

    model_config = SettingsConfigDict(env_prefix="LEADLOOP_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./leadloop.db",
        description="SQLAlchemy URL of the operational store: a SQLite file (embedded default) "
        "or postgresql://user@host:5432/db (production).",
    )
    environment: Literal["development", "test", "production"] = Field(
        default="development", description="Deployment environment; production refuses demo keys."
    )
    sqlite_synchronous: Literal["OFF", "NORMAL", "FULL", "EXTRA"] = Field(
        default="FULL",
        description="SQLite synchronous pragma. FULL makes every acknowledged batch survive "
        "power loss; NORMAL survives process crashes only.",
    )
    log_level: str = Field(default="INFO", description="Log level for the leadloop loggers.")
    log_json: bool = Field(default=False, description="Emit logs as JSON lines instead of text.")
    max_message_bytes: int = Field(default=32 * 1024, description="Largest accepted message.")
    max_request_bytes: int = Field(
        default=500 * 1024, description="Largest accepted request body (after decompression)."
    )
    max_batch_messages: int = Field(default=2500, description="Most messages in one batch.")
    ingest_queue_batches: int = Field(
        default=256,
        description="Requests waiting for the store before the tracking API answers 429.",
    )
    ingest_inbox: bool = Field(
        default=False,
        description="Make a tracking request durable as one row of the ingest inbox and "
        "answer; the drain (in the background process, or a thread of this one) parses, "
        "deduplicates and stores its events moments later. The API answers several times "
        "faster; the answer counts accepted and rejected messages but not duplicates. On "
        "SQLite the inbox is a sidecar file beside the store (`leadloop.db.inbox`).",
    )
    background_nice: int = Field(
        default=0,
        ge=0,
        le=19,
        description="Niceness `leadloop background` gives itself: above 0 the tracking API "
        "gets the CPU first and the background (the inbox drain, profiles, delivery) "
        "catches up when requests slow down; useful with the inbox on a small host.",
    )
    inbox_max_messages: int = Field(
        default=1_000_000,
        ge=1,
        description="Messages waiting in the inbox before the tracking API answers 429.",
    )
    inbox_drain_messages: int = Field(
        default=5000, ge=1, description="Most messages one drain transaction stores."
    )
    inbox_poll_seconds: float = Field(
        default=0.5,
        gt=0,
        description="Fallback poll of the inbox drain (appends also wake it at once).",
    )
    ingest_group_max_messages: int = Field(
        default=5000, description="Most messages the writer commits in one transaction."
    )
    trusted_proxies: list[str] = Field(
        default=["127.0.0.1/32", "::1/128"],
        description="Addresses or networks (JSON list) of the reverse proxies whose "
        "X-Forwarded-For names the client; from anyone else the header is ignored.",
    )
    host: str = Field(default="127.0.0.1", description="Address `leadloop serve` listens on.")
    port: int = Field(default=8000, description="Port `leadloop serve` listens on.")
    lead_reject_reasons: list[str] = Field(
        default=[
            "not a fit",
            "no budget",
            "no authority",
            "no need now",
            "bad timing",
            "already in contact",
            "competitor",
            "bad contact data",
        ],
        description="Reasons sales may give when rejecting a lead (a JSON list); any other "
        "reason is refused with the list.",
    )
    # --- Hand-off to sales and service levels (issue 4) ---
    handoff_batch_window_s: float = Field(
        default=0.0,
        description="Ordinary (not hot) hand-offs to the same webhook or rep wait up to this "
        "many seconds to go out together in one notification; 0 sends each at once. Hot "
        "leads never wait.",
    )
    dashboard_report_ttl_s: float = Field(
        default=60.0,
        ge=0,
        description="Seconds the dashboard keeps its revenue reports (CPOD, pipeline, "
        "revenue) before reading the warehouse again; lead states, hand-offs and service "
        "levels are always live. 0 reads every time.",
    )
    handoff_lead_url: str = Field(
        default="http://127.0.0.1:8000/dashboard/leads/{contact_id}",
        description="Link to the lead in notifications; `{contact_id}` is replaced. The "
        "default is the dashboard's lead page (what it read, why it qualified); use your "
        "public address in production.",
    )
    sla_response_s: float = Field(
        default=4 * 3600.0,
        description="Seconds sales has to accept or reject a hand-off before it escalates to "
        "the rep's manager.",
    )
    sla_reassign: bool = Field(
        default=False,
        description="On an SLA breach, also reassign the lead to the next active rep "
        "(round-robin) and restart its clock.",
    )
    sla_max_escalations: int = Field(
        default=1, ge=1, description="Most escalations per hand-off (more only with reassign)."
    )
    outbox_max_attempts: int = Field(
        default=8, ge=1, description="Delivery attempts before a notification is dead-lettered."
    )
    outbox_backoff_base_s: float = Field(
        default=2.0, description="First retry waits up to this long (full jitter, doubling)."
    )
    outbox_backoff_cap_s: float = Field(
        default=600.0, description="Longest wait between two delivery attempts."
    )
    outbox_lease_s: float = Field(
        default=60.0,
        description="How long a worker's claim on a notification lasts; a killed worker's "
        "claim expires after this and another worker delivers it. Must exceed the timeouts.",
    )
    outbox_poll_s: float = Field(
        default=0.2, description="Seconds the delivery worker sleeps when nothing is due."
    )
    webhook_timeout_s: float = Field(default=10.0, description="Timeout of one webhook call.")
    smtp_host: str | None = Field(
        default=None, description="SMTP server for hand-off e-mails; unset sends no e-mail."
    )
    smtp_port: int = Field(default=25, description="SMTP port (587 with STARTTLS, 465 for TLS).")
    smtp_from: str = Field(
        default="leadloop@localhost", description="From address of hand-off e-mails."
    )
    smtp_tls: Literal["none", "starttls", "tls"] = Field(
        default="none", description="SMTP transport security: none, starttls or tls (SMTPS)."
    )
    smtp_username: str | None = Field(default=None, description="SMTP login, if required.")
    smtp_password: str | None = Field(default=None, description="SMTP password (never logged).")
    smtp_timeout_s: float = Field(default=10.0, description="Timeout of one SMTP session.")
    sla_check_s: float = Field(
        default=5.0, description="How often the delivery worker looks for overdue hand-offs."
    )
    # Passive profiling (docs/profiling.md has the definitions these tune).
    profile_half_life_days: float = Field(
        default=30.0, gt=0, description="Half-life of an engagement's weight, in days."
    )
    profile_stage_share: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="Buying stage = the latest stage whose weight, with every later stage's, "
        "is at least this share of the total.",
    )
    profile_grade_weights: list[float] = Field(
        default=[0.25, 1.0, 2.0, 3.0, 3.0],
        min_length=5,
        max_length=5,
        description="Weights of glance, read, deep_read, completed, downloaded (JSON list).",
    )
    profile_signal_boost: float = Field(
        default=1.0,
        ge=0,
        description="Weight multiplier per unit of content signal (1 + boost x signal).",
    )
    profile_warm_weight: float = Field(
        default=1.5, gt=0, description="Decayed total weight from which a profile is warm."
    )
    profile_hot_weight: float = Field(
        default=10.0, gt=0, description="Decayed total weight from which a profile is hot."
    )
    profile_hot_window_days: float = Field(
        default=14.0, ge=0, description="A hot signal consumed within this many days makes it hot."
    )
    profile_hot_min_grade: Literal["glance", "read", "deep_read", "completed", "downloaded"] = (
        Field(
            default="read", description="Least grade at which a hot asset counts as a hot signal."
        )
    )
    profile_top_interests: int = Field(default=5, ge=1, description="Interests kept per profile.")
    profile_active_days: float = Field(
        default=30.0,
        gt=0,
        description="An account's active contacts engaged within this many days.",
    )
    depth_read_pct: float = Field(default=25.0, description="Read depth (%) that makes a read.")
    depth_deep_read_pct: float = Field(
        default=60.0, description="Read depth (%) that makes a deep read."
    )
    depth_completed_pct: float = Field(
        default=90.0, description="Depth or video/webinar percent that makes it completed."
    )
    depth_read_seconds: int = Field(default=30, description="Active seconds that make a read.")
    depth_deep_read_seconds: int = Field(
        default=180, description="Active seconds (summed over visits) that make a deep read."
    )
    depth_read_sections: int = Field(default=2, description="Distinct sections that make a read.")
    depth_deep_read_sections: int = Field(
        default=3, description="Distinct sections (over all visits) that make a deep read."
    )
    depth_read_visits: int = Field(default=3, description="Visits to one asset that make a read.")
    profile_worker: Literal["thread", "process", "off"] = Field(
        default="thread",
        description="Where the profile updater (and with it the real-time qualification) "
        "runs: `thread` in the process that ingests (the embedded container), `process` in "
        "a separate background process that the ingesting processes wake after each commit "
        "(`leadloop serve` starts and supervises it; its default on PostgreSQL unless this "
        "is set), `off` "
        "nowhere here (run `leadloop background` elsewhere). `true`/`false` mean thread/off.",
    )
    background_socket: str | None = Field(
        default=None,
        description="Unix datagram socket of the background process: after each group commit "
        "the ingesting processes send it the workspaces with new events (`leadloop serve` "
        "sets it for its own child). A lost wake costs one poll.",
    )
    profile_poll_seconds: float = Field(
        default=2.0,
        gt=0,
        description="Fallback poll interval of the background profile updater (it is also "
        "woken after every group commit).",
    )
    profile_batch_events: int = Field(
        default=2000, ge=1, description="Events the profile updater folds per transaction."
    )
    profile_max_batch_events: int = Field(
        default=20_000,
        ge=1,
        description="Most events one profile transaction folds while a backlog exists: each "
        "full batch doubles the next one up to this, so the updater catches up instead of "
        "falling further behind a fast ingest (fewer refreshes of the same contacts).",
    )

    profile_sqlite_max_batch_events: int = Field(
        default=4000,
        ge=1,
        description="On SQLite, the most events one profile transaction folds (it holds the "
        "store's one write lock: the ingest writer waits for as long as it runs).",
    )
    profile_sqlite_yield: float = Field(
        default=0.5,
        ge=0,
        description="On SQLite, while the server folds a backlog, the pause after each profile "
        "transaction as a share of its duration, so the ingest writer gets the write lock "
        "between batches (0: no pause).",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network (e.g. 10.0.0.0/8)"
                ) from None
        return value

    @field_validator("profile_worker", mode="before")
    @classmethod
    def _profile_worker_compat(cls, value: object) -> object:
        """The setting was a boolean before it named a place: keep `true`/`false` working."""
        if isinstance(value, bool):
            return "thread" if value else "off"
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in {"true", "1", "yes", "on"}:
                return "thread"
            if lowered in {"false", "0", "no"}:
                return "off"
            return lowered
        return value

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        """Accept the URLs people paste: ``postgres://`` and driverless ``postgresql://``."""
        if value.startswith("postgres://"):
            value = "postgresql://" + value[len("postgres://") :]
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value[len("postgresql://") :]
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    # -- CRM sync (issue 5). Secrets are SecretStr: repr, logs and errors never show them.
    crm_secrets_file: Path | None = Field(
        default=None,
        description="YAML or JSON file of CRM credentials (keys as below without the "
        "LEADLOOP_ prefix, e.g. salesforce_password); environment variables win over it.",
    )
    crm_mapping_file: Path | None = Field(
        default=None,
        description="YAML file overriding the CRM field and stage mappings: "
        "{salesforce|hubspot: {fields: {CRM field: our field}, stages: {CRM stage: "
        "open|won|lost}}}.",
    )
    crm_default_currency: str = Field(
        default="USD", description="Currency of CRM amounts that carry none."
    )
    crm_page_size: int = Field(
        default=2000, description="Records per page asked of the CRM (SOQL batch size)."
    )
    crm_max_retries: int = Field(
        default=5, description="Retries of a rate-limited CRM call (429, Retry-After)."
    )
    crm_backoff_seconds: float = Field(
        default=1.0, description="First wait after a 429 without Retry-After; doubles."
    )
    crm_backoff_max_seconds: float = Field(default=60.0, description="Longest single wait.")
    crm_ca_bundle: Path | None = Field(
        default=None, description="CA bundle for the CRM's TLS (a proxy or a test server)."
    )
    salesforce_instance_url: str | None = Field(
        default=None, description="Salesforce instance, e.g. https://acme.my.salesforce.com."
    )
    salesforce_login_url: str = Field(
        default="https://login.salesforce.com",
        description="Where the OAuth token endpoint is (/services/oauth2/token).",
    )
    salesforce_api_version: str = Field(default="60.0", description="Salesforce REST version.")
    salesforce_username: str | None = Field(default=None, description="OAuth password flow.")
    salesforce_password: SecretStr | None = Field(default=None, description="Its password.")
    salesforce_security_token: SecretStr | None = Field(
        default=None, description="Appended to the password in the password flow."
    )
    salesforce_client_id: str | None = Field(
        default=None, description="Connected app consumer key (password or client-credentials)."
    )
    salesforce_client_secret: SecretStr | None = Field(
        default=None, description="Connected app consumer secret."
    )
    salesforce_session_id: SecretStr | None = Field(
        default=None, description="An existing session id / access token (with the instance URL)."
    )
    salesforce_lead_external_id: str = Field(
        default="Leadloop_Contact_Id__c",
        description="External-id field on Lead that sales-ready leads are upserted by.",
    )
    salesforce_campaign_id: str | None = Field(
        default=None, description="Campaign pushed leads join as CampaignMember (optional)."
    )
    salesforce_daily_reserve: int = Field(
        default=1000,
        description="Stop a sync when fewer daily API requests than this remain (/limits).",
    )
    hubspot_access_token: SecretStr | None = Field(
        default=None, description="HubSpot private-app access token."
    )
    hubspot_host: str = Field(default="https://api.hubapi.com", description="HubSpot API host.")
    sale_content_lookback_days: int = Field(
        default=365,
        ge=1,
        description="Content consumed this many days before a deal's close date (or, for an "
        "open deal, before now) is tagged as part of the sale.",
    )
    sale_content_batch_size: int = Field(
        default=2000,
        ge=1,
        description="Opportunities tagged per batch: each batch scans the events once "
        "(events have no index on the person), so larger batches amortise the scan.",
    )
    # -- Real-time qualification (issue 4: profiling → sales-ready rule → hand-off).
    realtime_qualify: bool = Field(
        default=True,
        description="Qualify the contacts of every committed profile batch under the active "
        "sales-ready rule and hand the sales-ready ones to sales (server, `profiles update`).",
    )
