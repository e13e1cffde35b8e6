"""CRM credentials from ``LEADLOOP_*`` variables or a secrets file, never logged.

Every secret is a pydantic ``SecretStr``: its ``repr`` and ``str`` print ``**********``,
so a setting dumped in a log or an error message leaks nothing. The secrets file (YAML or
JSON, keys named like the settings without the prefix) fills only what the environment
left unset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from leadloop.config import Settings
from leadloop.errors import ConnectorAuthError, ValidationError

_PREFIXES = ("salesforce_", "hubspot_")


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ValidationError(f"CRM secrets file {str(path)!r} does not exist", path=str(path))
    import yaml  # JSON is YAML too

    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ValidationError(
            f"CRM secrets file {path.name!r} is not YAML or JSON: {str(exc)[:120]}"
        ) from None
    if not isinstance(data, dict):
        raise ValidationError(f"CRM secrets file {path.name!r} must hold key: value pairs")
    return data


def _empty(settings: Settings, name: str) -> bool:
    value = getattr(settings, name)
    reveal = getattr(value, "get_secret_value", None)
    return value is None or (reveal() if reveal is not None else value) == ""


def with_secrets_file(settings: Settings) -> Settings:
    """``settings`` plus the secrets file's values for CRM fields the environment left unset."""
    path = settings.crm_secrets_file
    if path is None:
        return settings
    data = _read(path)
    allowed = sorted(n for n in Settings.model_fields if n.startswith(_PREFIXES))
    unknown = sorted(k for k in data if k not in allowed)
    if unknown:
        raise ValidationError(
            f"CRM secrets file {path.name!r} has unknown key(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(allowed)}"
        )
    explicit = {
        k: getattr(settings, k) for k in settings.model_fields_set if not _empty(settings, k)
    }
    fill = {k: v for k, v in data.items() if k not in explicit}
    return Settings(**{**fill, **explicit})


def require(settings: Settings, *names: str) -> None:
    """Refuse to connect when a needed credential is missing, naming the variables to set."""
    missing = [n for n in names if _empty(settings, n)]
    if missing:
        env = ", ".join(f"LEADLOOP_{n.upper()}" for n in missing)
        raise ConnectorAuthError(
            f"missing CRM credentials: set {env} (or put them in LEADLOOP_CRM_SECRETS_FILE)",
            missing=missing,
        )
