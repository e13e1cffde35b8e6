"""Settings: defaults that run out of the box, URLs normalised the way people paste them."""

from __future__ import annotations

import pytest

from leadloop.config import Settings


def test_default_is_an_embedded_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEADLOOP_DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "sqlite:///./leadloop.db"
    assert settings.is_sqlite


@pytest.mark.parametrize(
    "given",
    ["postgres://u@h:5432/db", "postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"],
)
def test_postgres_urls_use_psycopg(given: str) -> None:
    settings = Settings(database_url=given)
    assert settings.database_url == "postgresql+psycopg://u@h:5432/db"
    assert not settings.is_sqlite


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADLOOP_MAX_BATCH_MESSAGES", "10")
    monkeypatch.setenv("LEADLOOP_SQLITE_SYNCHRONOUS", "NORMAL")
    settings = Settings()
    assert settings.max_batch_messages == 10
    assert settings.sqlite_synchronous == "NORMAL"


def test_invalid_values_are_refused() -> None:
    with pytest.raises(ValueError, match="sqlite_synchronous"):
        Settings(sqlite_synchronous="SOMETIMES")  # type: ignore[arg-type]
