"""Reading a catalog file (YAML or CSV) into raw records that remember their lines.

YAML is composed into nodes rather than loaded into Python values, for two reasons: every
item *and* every field keeps the line it was written on (``start_mark``), and scalars stay
the text the user typed (``asset_id: 0012`` is ``"0012"``, ``signal: yes`` is the word
``yes`` and gets a clear error, not a silent ``True``). The domain validator then checks
what was read; this module reports only what stops a file from being read at all: syntax,
shape, CSV header.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

from leadloop.domain.catalog import FIELDS, REQUIRED
from leadloop.domain.problems import Problem, RawRecord, did_you_mean
from leadloop.errors import ValidationError

SUFFIXES: Final = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}
SECTIONS: Final = ("content", "taxonomy")
"""Top-level keys of a YAML catalog; keys starting ``x-`` are ignored (YAML anchors)."""
_NULL_TAG: Final = "tag:yaml.org,2002:null"
_MERGE_TAG: Final = "tag:yaml.org,2002:merge"
_MAX_BYTES: Final = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RawCatalog:
    """A file as read: its item records, its taxonomy section, and what stopped reading."""

    file: str
    records: tuple[RawRecord, ...] = ()
    taxonomy: RawRecord | None = None
    problems: tuple[Problem, ...] = ()


def catalog_format(path: Path) -> str:
    """``yaml`` or ``csv`` from the file's extension."""
    found = SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise ValidationError(
            f"{path}: cannot tell the catalog format from {path.suffix or 'no extension'!r}; "
            "name it .yaml, .yml or .csv",
            path=str(path),
        )
    return found


def read_catalog(path: Path) -> RawCatalog:
    """Read a YAML or CSV catalog; problems name ``path`` as given, with line numbers.

    Raises:
        ValidationError: the file is missing, too large, not UTF-8, or of unknown format.
    """
    fmt = catalog_format(path)
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise ValidationError(f"{path}: over {_MAX_BYTES // 2**20} MB; split the catalog")
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such file", path=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read it ({exc.strerror})") from None
    return parse_yaml(text, str(path)) if fmt == "yaml" else parse_csv(text, str(path))


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _plain(node: yaml.Node) -> object:
    """A node as text (scalars), None (an explicit or empty null), list or dict."""
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == _NULL_TAG else str(node.value)
    if isinstance(node, yaml.SequenceNode):
        return [_plain(child) for child in node.value]
    if isinstance(node, yaml.MappingNode):
        return {str(_plain(k)): _plain(v) for k, v in node.value}
    return None


class _YamlReader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def fail(self, line: int, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, line, where, message, line))

    def pairs(self, node: yaml.MappingNode, where: str) -> list[tuple[str, yaml.Node, int]]:
        """A mapping's (key, value, line), reporting duplicate keys; ``<<:`` merges apply."""
        seen: dict[str, int] = {}
        out, merged = [], []
        for key_node, value in node.value:
            if key_node.tag == _MERGE_TAG:  # `<<: *defaults` (explicit keys win)
                sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for source in sources:
                    if isinstance(source, yaml.MappingNode):
                        merged.extend(self.pairs(source, where))
                continue
            key, line = str(_plain(key_node)), _line(key_node)
            if key in seen:
                self.fail(line, key, f"duplicate key in {where} (first on line {seen[key]})")
                continue
            seen[key] = line
            out.append((key, value, line))
        for key, value, line in merged:
            if key not in seen:
                seen[key] = line
                out.append((key, value, line))
        return out

    def record(self, node: yaml.MappingNode, where: str) -> RawRecord:
        values: dict[str, object] = {}
        lines: dict[str, int] = {}
        for key, value, line in self.pairs(node, where):
            values[key], lines[key] = _plain(value), line
            children = (
                value.value if isinstance(value, yaml.SequenceNode | yaml.MappingNode) else []
            )
            for i, child in enumerate(children):
                lines[f"{key}.{i}"] = _line(child[0] if isinstance(child, tuple) else child)
        return RawRecord(_line(node), values, lines)

    def items(self, node: yaml.Node) -> list[RawRecord]:
        if isinstance(node, yaml.ScalarNode) and _plain(node) is None:
            return []  # `content:` with nothing under it: an empty catalog
        if not isinstance(node, yaml.SequenceNode):
            self.fail(_line(node), "content", "expected a list of items (`- asset_id: ...`)")
            return []
        records = []
        for i, child in enumerate(node.value):
            if isinstance(child, yaml.MappingNode):
                records.append(self.record(child, f"item {i + 1}"))
            else:
                self.fail(_line(child), "content", f"item {i + 1} is not a mapping of fields "
                                                   "(`asset_id: ...`, `url: ...`)")  # fmt: skip
        return records


def parse_yaml(text: str, file: str) -> RawCatalog:
    """A YAML catalog: ``{taxonomy: ..., content: [items]}``, or just the list of items."""
    reader = _YamlReader(file)
    try:
        top = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else 0
        started = exc.context_mark
        since = f" started on line {started.line + 1}" if started is not None else ""
        context = f" ({exc.context}{since})" if exc.context else ""
        reader.fail(line, "yaml", f"not valid YAML: {exc.problem}{context}")
        return RawCatalog(file, problems=tuple(reader.problems))
    except yaml.YAMLError as exc:
        reader.fail(0, "yaml", f"not valid YAML: {exc}")
        return RawCatalog(file, problems=tuple(reader.problems))
    if top is None:
        reader.fail(1, "content", "the file is empty; expected a `content:` list of items")
        return RawCatalog(file, problems=tuple(reader.problems))
    if not isinstance(top, yaml.MappingNode):
        records = reader.items(top)
        return RawCatalog(file, tuple(records), None, tuple(reader.problems))
    return _sections(reader, top)


def _sections(reader: _YamlReader, top: yaml.MappingNode) -> RawCatalog:
    records: list[RawRecord] = []
    taxonomy: RawRecord | None = None
    found = reader.pairs(top, "the file")
    for key, value, line in found:
        if key == "content":
            records = reader.items(value)
        elif key == "taxonomy" and isinstance(value, yaml.MappingNode):
            taxonomy = reader.record(value, "taxonomy")
        elif key == "taxonomy" and _plain(value) is not None:
            reader.fail(line, "taxonomy", "expected a mapping: topics, personas, segments, formats")
        elif key != "taxonomy" and not key.startswith("x-"):
            hint = did_you_mean(key, SECTIONS)
            reader.fail(line, key, f"unknown section{hint}; allowed: {', '.join(SECTIONS)}")
    if "content" not in {key for key, _, _ in found}:
        reader.fail(_line(top), "content", "no `content:` list of items in the file")
    return RawCatalog(reader.file, tuple(records), taxonomy, tuple(reader.problems))


def _header_problems(names: list[str], file: str) -> list[Problem]:
    problems = []
    for i, name in enumerate(names):
        if name not in FIELDS:
            hint = did_you_mean(name, FIELDS)
            message = f"unknown column {name!r}{hint}; allowed: {', '.join(FIELDS)}"
            problems.append(Problem(file, 1, "header", message, 1))
        elif name in names[:i]:
            problems.append(Problem(file, 1, "header", f"column {name!r} appears twice", 1))
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        message = f"missing column(s) {', '.join(missing)}; required: {', '.join(REQUIRED)}"
        problems.append(Problem(file, 1, "header", message, 1))
    return problems


def parse_csv(text: str, file: str) -> RawCatalog:
    """A CSV catalog: a header row (line 1), then one item per row; lists `;`-separated."""
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[Problem] = []
    try:
        header = next(reader, None)
        if header is None:
            message = f"the file is empty; line 1 must name the columns: {', '.join(FIELDS)}"
            return RawCatalog(file, problems=(Problem(file, 1, "header", message, 1),))
        names = [h.strip() for h in header]
        problems.extend(_header_problems(names, file))
        if any(c not in names for c in REQUIRED):
            return RawCatalog(file, problems=tuple(problems))
        records, start = [], reader.line_num + 1
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                message = f"{len(row)} values; the header has {len(names)} columns"
                problems.append(Problem(file, line, "row", message, line))
                continue
            values = {n: cell for n, cell in zip(names, row, strict=True) if n in FIELDS}
            records.append(RawRecord(line, values))
    except csv.Error as exc:
        problems.append(Problem(file, reader.line_num, "csv", f"not valid CSV: {exc}"))
        return RawCatalog(file, problems=tuple(problems))
    return RawCatalog(file, tuple(records), None, tuple(problems))
