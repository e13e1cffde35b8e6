"""Column mappings: which column of a file becomes which field of an imported record.

A mapping is ``{column: target}``. A target is a field name or a dotted path into a nested
object (``properties.plan`` puts the value at ``{"properties": {"plan": ...}}``), optionally
followed by a value type: ``properties.seats:int``. Columns not mapped explicitly fall back
to a default mapping by name (``user_id``, ``userId`` and ``User ID`` all find ``userId``);
columns that map to nothing are reported as ignored, never stored.

Value types: ``str``, ``int``, ``float``, ``bool``, ``json`` (the cell holds JSON text) and
``auto``. CSV cells are text; ``auto`` turns a cell into a number or a boolean only when the
text is exactly one (``42``, ``-3.5``, ``true``), so ``02134`` and ``1e5`` stay strings.
Parquet cells keep their own types.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from leadloop.errors import ValidationError

VALUE_TYPES = ("str", "int", "float", "bool", "json", "auto", "time")
_INT = re.compile(r"-?(0|[1-9][0-9]{0,17})")
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)\.[0-9]+")
_TRUE = frozenset({"true", "yes", "y", "t", "1"})
_FALSE = frozenset({"false", "no", "n", "f", "0"})
_NOT_WORD = re.compile(r"[^a-z0-9]")


@dataclass(frozen=True, slots=True)
class Schema:
    """The fields one kind of record has, for mapping columns onto them.

    Attributes:
        kind: ``events``, ``contacts`` or ``accounts``.
        fields: top-level field name → its value type.
        nested: fields that hold objects, so ``field.child`` targets are allowed.
        aliases: normalised column names (lower case, letters and digits only) → field.
        rest: where a target that is not a field goes (``traits`` for accounts), else refuse.
    """

    kind: str
    fields: Mapping[str, str]
    nested: frozenset[str] = frozenset()
    aliases: Mapping[str, str] = field(default_factory=dict)
    rest: str | None = None

    def describe(self) -> str:
        names = ", ".join(self.fields)
        extra = ", ".join(f"{n}.<name>" for n in sorted(self.nested))
        return f"{names}{', ' + extra if extra else ''}"


@dataclass(frozen=True, slots=True)
class Target:
    """Where one column goes and as what type."""

    column: str
    path: tuple[str, ...]
    type: str


def _norm(name: str) -> str:
    return _NOT_WORD.sub("", name.lower())


def parse_map_options(specs: Sequence[str]) -> dict[str, str]:
    """Parse repeated ``--map COLUMN=FIELD`` options.

    >>> parse_map_options(["user_email=traits.email", "ts=timestamp"])
    {'user_email': 'traits.email', 'ts': 'timestamp'}
    """
    out: dict[str, str] = {}
    for spec in specs:
        column, sep, target = spec.partition("=")
        if not sep or not column.strip() or not target.strip():
            raise ValidationError(
                f"--map expects COLUMN=FIELD (e.g. --map user_email=traits.email); got {spec!r}"
            )
        out[column.strip()] = target.strip()
    return out


def load_mapping_file(path: Path) -> dict[str, str]:
    """Read a ``{column: field}`` mapping from a YAML or JSON file."""
    if not path.is_file():
        raise ValidationError(f"mapping file {str(path)!r} does not exist", path=str(path))
    text = path.read_bytes()
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = orjson.loads(text)
    except Exception as exc:  # yaml and orjson raise their own error trees
        raise ValidationError(
            f"mapping file {path.name!r} cannot be read: {str(exc)[:200]}", path=str(path)
        ) from None
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        data = data["columns"]
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ValidationError(
            f"mapping file {path.name!r} must be an object of column: field strings, "
            'e.g. {"user_email": "traits.email"}',
            path=str(path),
        )
    return dict(data)


def _target(schema: Schema, column: str, spec: str) -> Target:
    path_text, _, kind = spec.partition(":")
    path = tuple(p.strip() for p in path_text.split("."))
    if not all(path):
        raise ValidationError(f"--map {column}={spec}: the field path has an empty part")
    if kind and kind not in VALUE_TYPES:
        raise ValidationError(
            f"--map {column}={spec}: unknown type {kind!r}; use one of {', '.join(VALUE_TYPES)}"
        )
    head = path[0]
    if len(path) == 1 and head in schema.fields:
        return Target(column, path, kind or schema.fields[head])
    if len(path) > 1 and head in schema.nested:
        return Target(column, path, kind or "auto")
    if schema.rest is not None and head not in schema.fields:
        return Target(column, (schema.rest, *path), kind or "auto")
    raise ValidationError(
        f"--map {column}={spec}: {path_text!r} is not a {schema.kind} field; "
        f"use one of {schema.describe()}"
    )


@dataclass(frozen=True, slots=True)
class Plan:
    """A mapping resolved against a file's header: (column index, target) pairs."""

    entries: tuple[tuple[int, Target], ...]
    ignored: tuple[str, ...]

    @property
    def fields(self) -> set[str]:
        return {t.path[0] if len(t.path) == 1 else ".".join(t.path) for _, t in self.entries}


class Mapper:
    """Maps rows (by header position) or objects (by key) onto a schema's fields."""

    def __init__(self, schema: Schema, explicit: Mapping[str, str] | None = None) -> None:
        self.schema = schema
        self.explicit = {c: _target(schema, c, s) for c, s in (explicit or {}).items()}
        self._claimed = {t.path for t in self.explicit.values()}
        self._by_key: dict[str, Target | None] = {}
        self.ignored: set[str] = set()

    def default(self, column: str) -> Target | None:
        """The target a column goes to when no mapping names it, or ``None``."""
        schema = self.schema
        head, dot, tail = column.partition(".")
        if dot and tail:
            parent = schema.aliases.get(_norm(head), head)
            if parent in schema.nested:
                return Target(column, (parent, *tail.split(".")), "auto")
        name = schema.aliases.get(_norm(column))
        if name is not None:
            return Target(column, (name,), schema.fields[name])
        if schema.rest is not None and column.strip():
            return Target(column, (schema.rest, column.strip()), "auto")
        return None

    def target(self, column: str) -> Target | None:
        """The target of a column: explicit mapping first, then the default by name."""
        found = self.explicit.get(column)
        if found is not None:
            return found
        fallback = self.default(column)
        if fallback is None or fallback.path in self._claimed:
            return None
        return fallback

    def plan(self, header: Sequence[str]) -> Plan:
        """Resolve the mapping against a header; refuse unknown or doubly mapped columns."""
        missing = [c for c in self.explicit if c not in header]
        if missing:
            raise ValidationError(
                f"--map names column(s) {', '.join(map(repr, missing))} that the file does not "
                f"have; its columns are: {', '.join(header)}"
            )
        entries: list[tuple[int, Target]] = []
        ignored: list[str] = []
        seen: dict[tuple[str, ...], str] = {}
        for index, column in enumerate(header):
            t = self.target(column)
            if t is None:
                ignored.append(column)
                continue
            if t.path in seen:
                raise ValidationError(
                    f"columns {seen[t.path]!r} and {column!r} both map to {'.'.join(t.path)}; "
                    f"map one of them elsewhere with --map {column}=FIELD"
                )
            seen[t.path] = column
            entries.append((index, t))
        entries.sort(key=lambda e: len(e[1].path))
        return Plan(tuple(entries), tuple(ignored))

    def build_row(self, plan: Plan, values: Sequence[Any], text: bool) -> dict[str, Any]:
        """The nested record for one row; raise :class:`ValidationError` naming the column."""
        out: dict[str, Any] = {}
        coerce = coerce_text if text else coerce_native
        for index, target in plan.entries:
            raw = values[index]
            if raw is None or raw == "":
                continue
            _put(out, target, coerce(raw, target))
        return out

    def build_object(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The record for one JSON object, mapping its keys like a header's columns."""
        targets: list[Target] = []
        for key in obj:
            if key not in self._by_key:
                self._by_key[key] = self.target(key)
            t = self._by_key[key]
            if t is None:
                self.ignored.add(key)
            else:
                targets.append(t)
        targets.sort(key=lambda t: len(t.path))
        out: dict[str, Any] = {}
        for t in targets:
            raw = obj[t.column]
            if raw is None or raw == "":
                continue
            _put(out, t, coerce_native(raw, t))
        return out


def _put(out: dict[str, Any], target: Target, value: Any) -> None:
    path = target.path
    node = out
    for depth, key in enumerate(path[:-1]):
        child = node.get(key)
        if child is None:
            child = node[key] = {}
        elif not isinstance(child, dict):
            where = ".".join(path[: depth + 1])
            raise ValidationError(
                f"column {target.column!r}: cannot set {'.'.join(path)} because {where} "
                "is not an object"
            )
        node = child
    node[path[-1]] = value


def _problem(target: Target, value: object, what: str) -> ValidationError:
    shown = str(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return ValidationError(f"column {target.column!r}: {shown!r} is not {what}")


def _auto_text(value: str) -> Any:
    text = value.strip()
    if _INT.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    return value


def coerce_text(value: str, target: Target) -> Any:
    """Turn one CSV cell into the target's type."""
    kind = target.type
    if kind in ("str", "time"):
        return value
    if kind == "auto":
        return _auto_text(value)
    if kind == "json":
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            raise _problem(target, value, "valid JSON") from None
    return _convert(value.strip(), target)


def _convert(value: Any, target: Target) -> Any:
    kind = target.type
    try:
        if kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if kind == "float":
            return float(value)
    except (TypeError, ValueError, OverflowError):
        raise _problem(target, value, f"a{'n' if kind == 'int' else ''} {kind}") from None
    if isinstance(value, bool):
        return value
    flag = str(value).strip().lower()
    if flag in _TRUE:
        return True
    if flag in _FALSE:
        return False
    raise _problem(target, value, "a boolean (true/false, yes/no, 1/0)")


def coerce_native(value: Any, target: Target) -> Any:
    """Turn one typed value (Parquet cell, JSON value) into the target's type."""
    kind = target.type
    if kind == "auto":
        return jsonable(value)
    if kind in ("str", "time"):
        if isinstance(value, str):
            return value
        if isinstance(value, datetime | date | time):
            return value.isoformat()
        if isinstance(value, int) and not isinstance(value, bool) and kind == "str":
            return value
        return str(jsonable(value))
    if kind == "json":
        if isinstance(value, str):
            return coerce_text(value, target)
        if isinstance(value, list) and all(
            isinstance(p, tuple) and len(p) == 2 for p in value
        ):  # a Parquet MAP column arrives as [(key, value), ...]
            return {str(k): jsonable(v) for k, v in value}
        return jsonable(value)
    return _convert(value, target)


_SCALARS = (str, int, float, bool)


def jsonable(value: Any) -> Any:
    """A value orjson can write: dates as ISO text, decimals as floats, bytes as UTF-8."""
    if value is None or type(value) in _SCALARS:
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None  # JSON has no NaN or infinity (orjson would write null too)
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            raise ValidationError("a binary value is not UTF-8 text; store it as text") from None
    if isinstance(value, _SCALARS):  # subclasses such as IntEnum
        return value
    return str(value)
