"""Read and write sales-ready rule files (YAML), keeping every node's line for errors.

The domain parser (:mod:`leadloop.domain.rule_parser`) takes plain data and a map from
each node's path to its line; this adapter builds both from PyYAML's node tree, so an error
reads ``rules.yaml:7: qualify_when.all[0].buying_stage.at_least: unknown stage ...``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import yaml

from leadloop.domain import rule_parser
from leadloop.domain.rules import RuleSet
from leadloop.errors import RuleError

Path = tuple[str | int, ...]


def text_hash(text: str) -> str:
    """SHA-256 of the file's text: what approvers sign."""
    return hashlib.sha256(text.encode()).hexdigest()


def load_rules(text: str, source: str = "rules.yaml") -> RuleSet:
    """Parse and validate rule-file text.

    Raises:
        RuleError: YAML syntax or rule errors, with ``source:line``.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise RuleError(f"{source}: the file is empty; it needs name, version, qualify_when")
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise RuleError(
            f"{source}:{line}: not valid YAML: {exc.problem or exc.context}",
            source=source,
            line=line,
        ) from None
    finally:
        loader.dispose()
    lines: dict[Path, int] = {}
    _lines(node, (), lines)
    return rule_parser.parse(data, source=source, lines=lines)


def _lines(node: yaml.Node, path: Path, out: dict[Path, int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = (*path, str(key.value))
            out[here] = key.start_mark.line + 1
            _lines(value, here, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[(*path, i)] = item.start_mark.line + 1
            _lines(item, (*path, i), out)


def render_rules(rules: RuleSet) -> str:
    """The canonical YAML text of ``rules`` (parses back to an equal rule set)."""
    data: Any = rule_parser.render(rules)
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
