"""All settings in one place, read from ``LEADLOOP_*`` variables or ``.env``.

Defaults run out of the box: an embedded SQLite file next to where you run the command.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
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
    ingest_group_max_messages: int = Field(
        default=5000, description="Most messages the writer commits in one transaction."
    )
    host: str = Field(default="127.0.0.1", description="Address `leadloop serve` listens on.")
    port: int = Field(default=8000, description="Port `leadloop serve` listens on.")
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
    profile_worker: bool = Field(
        default=True, description="Run the profile updater in a background thread of the server."
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
