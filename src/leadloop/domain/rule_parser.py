"""Parse a sales-ready rule document into a :class:`RuleSet`, and render one back.

The parser takes plain data (what a YAML or JSON loader returns) plus the line of every
node, keyed by its path, so each error names the file, the line and the path::

    rules.yaml:7: qualify_when.all[0].buying_stage.at_least: unknown stage 'considerate';
    allowed: epiphany, awareness, ...

Reading the file is an adapter's job (:mod:`leadloop.services.rule_files`); the domain never
sees YAML. :func:`render` returns the canonical data for a rule set, which parses back to an
equal value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NoReturn

from leadloop.domain.facts import ENGAGEMENT_LEVELS, GRADES
from leadloop.domain.rules import (
    AccountEngaged,
    AllOf,
    AnyOf,
    BuyingStageAtLeast,
    Condition,
    EngagementAtLeast,
    HotSignal,
    Interest,
    Not,
    PersonaIn,
    RuleSet,
    ScoreAtLeast,
    ScoreModel,
    SegmentIn,
)
from leadloop.domain.stages import STAGES
from leadloop.errors import RuleError

Path = tuple[str | int, ...]

TOP_KEYS: Final = ("name", "version", "description", "qualify_when", "score")
CONDITION_KEYS: Final = (
    "all",
    "any",
    "not",
    "buying_stage",
    "engagement",
    "hot_signal",
    "interest",
    "persona",
    "segment",
    "account",
    "score",
)


def format_path(path: Path) -> str:
    """``("qualify_when", "all", 0, "buying_stage")`` → ``qualify_when.all[0].buying_stage``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(document)"


class _Parser:
    def __init__(self, source: str, lines: Mapping[Path, int]) -> None:
        self.source = source
        self.lines = lines

    def fail(self, path: Path, message: str) -> NoReturn:
        line = next(
            (self.lines[path[:n]] for n in range(len(path), -1, -1) if path[:n] in self.lines), None
        )
        where = f"{self.source}:{line}" if line is not None else self.source
        raise RuleError(
            f"{where}: {format_path(path)}: {message}",
            source=self.source,
            line=line,
            path=format_path(path),
        )

    def mapping(self, value: Any, path: Path, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(path, f"expected a mapping with keys {', '.join(allowed)}")
        for key in value:
            if key not in allowed:
                self.fail((*path, str(key)), f"unknown key {key!r}; allowed: {', '.join(allowed)}")
        return dict(value)

    def text(self, value: Any, path: Path) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"expected a non-empty text, got {value!r}")
        return value.strip()

    def number(self, value: Any, path: Path, *, positive: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, f"expected a number, got {value!r}")
        if value < 0 or (positive and value == 0):
            self.fail(path, f"expected a {'positive' if positive else 'non-negative'} number")
        return float(value)

    def integer(self, value: Any, path: Path, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(path, f"expected a whole number of at least {minimum}, got {value!r}")
        return value

    def choice(self, value: Any, path: Path, allowed: tuple[str, ...], what: str) -> str:
        key = value.strip().lower() if isinstance(value, str) else value
        if key not in allowed:
            self.fail(path, f"unknown {what} {value!r}; allowed: {', '.join(allowed)}")
        return str(key)

    def texts(self, value: Any, path: Path) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            self.fail(path, "expected a text or a non-empty list of texts")
        return tuple(self.text(v, (*path, i)) for i, v in enumerate(items))

    def rule_set(self, data: Any) -> RuleSet:
        doc = self.mapping(data, (), TOP_KEYS)
        for key in ("name", "version", "qualify_when"):
            if key not in doc:
                self.fail((), f"missing required key {key!r}")
        description = doc.get("description")
        return RuleSet(
            name=self.text(doc["name"], ("name",)),
            version=self.integer(doc["version"], ("version",), 1),
            qualify_when=self.condition(doc["qualify_when"], ("qualify_when",)),
            score=self.score_model(doc.get("score"), ("score",)),
            description=None if description is None else self.text(description, ("description",)),
        )

    def condition(self, value: Any, path: Path) -> Condition:
        node = self.mapping(value, path, CONDITION_KEYS)
        if len(node) != 1:
            self.fail(path, "expected exactly one condition per item (wrap several in all/any)")
        [(key, body)] = node.items()
        here = (*path, key)
        if key in ("all", "any"):
            if not isinstance(body, list) or not body:
                self.fail(here, "expected a non-empty list of conditions")
            children = tuple(self.condition(c, (*here, i)) for i, c in enumerate(body))
            return AllOf(children) if key == "all" else AnyOf(children)
        if key == "not":
            return Not(self.condition(body, here))
        leaf: Condition = getattr(self, f"leaf_{key}")(body, here)
        return leaf

    def leaf_buying_stage(self, body: Any, path: Path) -> Condition:
        node = self.mapping(body, path, ("at_least",))
        if "at_least" not in node:
            self.fail(path, "missing required key 'at_least'")
        return BuyingStageAtLeast(
            self.choice(node["at_least"], (*path, "at_least"), STAGES, "stage")
        )

    def leaf_engagement(self, body: Any, path: Path) -> Condition:
        if isinstance(body, Mapping):
            node = self.mapping(body, path, ("at_least",))
            if "at_least" not in node:
                self.fail(path, "missing required key 'at_least'")
            body, path = node["at_least"], (*path, "at_least")
        return EngagementAtLeast(self.choice(body, path, ENGAGEMENT_LEVELS, "engagement level"))

    def leaf_hot_signal(self, body: Any, path: Path) -> Condition:
        if body == "any":
            return HotSignal()
        node = self.mapping(body, path, ("in",))
        if "in" not in node:
            self.fail(path, "expected 'any' or {in: [asset ids]}")
        return HotSignal(self.texts(node["in"], (*path, "in")))

    def leaf_interest(self, body: Any, path: Path) -> Condition:
        node = self.mapping(body, path, ("topic", "at_least", "top"))
        if "topic" not in node or ("at_least" not in node and "top" not in node):
            self.fail(path, "expected a 'topic' with 'at_least' (a weight) and/or 'top' (N)")
        at_least = node.get("at_least")
        top = node.get("top")
        return Interest(
            topic=self.text(node["topic"], (*path, "topic")),
            at_least=None if at_least is None else self.number(at_least, (*path, "at_least")),
            top=None if top is None else self.integer(top, (*path, "top"), 1),
        )

    def _values(self, body: Any, path: Path) -> tuple[str, ...]:
        if isinstance(body, Mapping):
            node = self.mapping(body, path, ("in",))
            if "in" not in node:
                self.fail(path, "missing required key 'in'")
            return self.texts(node["in"], (*path, "in"))
        return self.texts(body, path)

    def leaf_persona(self, body: Any, path: Path) -> Condition:
        return PersonaIn(self._values(body, path))

    def leaf_segment(self, body: Any, path: Path) -> Condition:
        return SegmentIn(self._values(body, path))

    def leaf_account(self, body: Any, path: Path) -> Condition:
        node = self.mapping(body, path, ("engagement", "min_active_contacts"))
        if not node:
            self.fail(path, "expected 'engagement' and/or 'min_active_contacts'")
        level = node.get("engagement")
        contacts = node.get("min_active_contacts", 0)
        return AccountEngaged(
            level=None
            if level is None
            else self.choice(level, (*path, "engagement"), ENGAGEMENT_LEVELS, "engagement level"),
            min_active_contacts=self.integer(contacts, (*path, "min_active_contacts"), 0),
        )

    def leaf_score(self, body: Any, path: Path) -> Condition:
        node = self.mapping(body, path, ("at_least",))
        if "at_least" not in node:
            self.fail(path, "missing required key 'at_least'")
        return ScoreAtLeast(self.number(node["at_least"], (*path, "at_least")))

    def score_model(self, value: Any, path: Path) -> ScoreModel:
        if value is None:
            return ScoreModel()
        node = self.mapping(value, path, ("half_life_days", "points"))
        half_life = self.number(
            node.get("half_life_days", 30), (*path, "half_life_days"), positive=True
        )
        points = self.mapping(
            node.get("points", {}), (*path, "points"), ("grade", "stage", "signal")
        )
        grade = ScoreModel().grade
        if "grade" in points:
            grade = self.points(points["grade"], (*path, "points", "grade"), GRADES, "grade")
        stage = self.points(points.get("stage", {}), (*path, "points", "stage"), STAGES, "stage")
        signal = self.number(points.get("signal", 0), (*path, "points", "signal"))
        return ScoreModel(half_life_days=half_life, grade=grade, stage=stage, signal=signal)

    def points(
        self, value: Any, path: Path, allowed: tuple[str, ...], what: str
    ) -> dict[str, float]:
        if not isinstance(value, Mapping):
            self.fail(path, f"expected a mapping of {what} to points")
        out = {}
        for key, pts in value.items():
            name = self.choice(key, (*path, str(key)), allowed, what)
            out[name] = self.number(pts, (*path, str(key)))
        return out


def parse(data: Any, *, source: str = "rules", lines: Mapping[Path, int] | None = None) -> RuleSet:
    """Validate plain rule data into a :class:`RuleSet`.

    Raises:
        RuleError: the first problem, as ``source:line: path: what; allowed: ...``.
    """
    return _Parser(source, lines or {}).rule_set(data)


def render(rules: RuleSet) -> dict[str, Any]:
    """The canonical plain data for ``rules`` (what a loader would return for its file)."""
    out: dict[str, Any] = {"name": rules.name, "version": rules.version}
    if rules.description is not None:
        out["description"] = rules.description
    out["qualify_when"] = render_condition(rules.qualify_when)
    score = rules.score
    out["score"] = {
        "half_life_days": score.half_life_days,
        "points": {"grade": dict(score.grade), "stage": dict(score.stage), "signal": score.signal},
    }
    return out


def render_condition(condition: Condition) -> dict[str, Any]:
    """The plain data of one condition (the inverse of the parser's ``condition``)."""
    match condition:
        case AllOf(children):
            return {"all": [render_condition(c) for c in children]}
        case AnyOf(children):
            return {"any": [render_condition(c) for c in children]}
        case Not(child):
            return {"not": render_condition(child)}
        case BuyingStageAtLeast(stage):
            return {"buying_stage": {"at_least": stage}}
        case EngagementAtLeast(level):
            return {"engagement": {"at_least": level}}
        case HotSignal(assets):
            return {"hot_signal": {"in": list(assets)} if assets else "any"}
        case Interest(topic, at_least, top):
            body: dict[str, Any] = {"topic": topic}
            body.update({k: v for k, v in (("at_least", at_least), ("top", top)) if v is not None})
            return {"interest": body}
        case PersonaIn(values):
            return {"persona": {"in": list(values)}}
        case SegmentIn(values):
            return {"segment": {"in": list(values)}}
        case AccountEngaged(level, contacts):
            account: dict[str, Any] = {"min_active_contacts": contacts}
            if level is not None:
                account["engagement"] = level
            return {"account": account}
        case ScoreAtLeast(threshold):
            return {"score": {"at_least": threshold}}
    raise TypeError(f"not a condition: {condition!r}")
