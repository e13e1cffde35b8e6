"""Field and stage mappings per CRM: the defaults, overridden by ``LEADLOOP_CRM_MAPPING_FILE``.

```yaml
salesforce:
  fields: {Amount__c: amount, Region__c: null}   # CRM field: our field (null drops it)
  stages: {"Contract Signed": won, "Disqualified": lost}
hubspot:
  stages: {"appointmentscheduled": open, "1234567": won}
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from leadloop.domain.crm_mapping import (
    HUBSPOT_FIELDS,
    HUBSPOT_STAGES,
    SALESFORCE_FIELDS,
    SALESFORCE_STAGES,
    FieldMapping,
    StageMap,
)
from leadloop.errors import ValidationError

DEFAULTS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "salesforce": (dict(SALESFORCE_FIELDS), dict(SALESFORCE_STAGES)),
    "hubspot": (dict(HUBSPOT_FIELDS), dict(HUBSPOT_STAGES)),
}
CONNECTORS = tuple(DEFAULTS)


def _section(path: Path | None, name: str) -> dict[str, Any]:
    if path is None:
        return {}
    if not path.is_file():
        raise ValidationError(f"CRM mapping file {str(path)!r} does not exist", path=str(path))
    import yaml

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ValidationError(f"CRM mapping file {path.name!r}: {str(exc)[:160]}") from None
    section = data.get(name) if isinstance(data, dict) else None
    if section is None:
        return {}
    if not isinstance(section, dict) or set(section) - {"fields", "stages"}:
        raise ValidationError(
            f"CRM mapping file {path.name!r}: {name} must hold 'fields' and/or 'stages' maps"
        )
    return section


def crm_mapping(
    name: str, path: Path | None, default_currency: str | None
) -> tuple[FieldMapping, StageMap]:
    """The field mapping and stage map for one CRM."""
    if name not in DEFAULTS:
        raise ValidationError(f"unknown CRM {name!r}; use one of {', '.join(CONNECTORS)}")
    fields, stages = DEFAULTS[name]
    section = _section(path, name)
    mapping = FieldMapping(fields, default_currency).merged(section.get("fields") or {})
    return mapping, StageMap.of(stages).merged(section.get("stages") or {})
