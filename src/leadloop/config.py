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
