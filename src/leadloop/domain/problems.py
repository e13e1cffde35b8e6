"""Raw records read from a user's file, and the line-precise problems found in them.

File readers (YAML, CSV, an API body) turn their input into :class:`RawRecord` values that
remember where each field came from; validators answer with :class:`Problem` values that
name the file, the line and the field, so every error points at the text to fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as read: field values (text, None, lists, mappings) and their lines.

    ``lines`` maps a field name, or ``"field.i"`` for the i-th entry of a list, to its
    1-based line; fields it does not name are on the record's own ``line``.
    """

    line: int
    values: Mapping[str, object]
    lines: Mapping[str, int] = field(default_factory=dict)

    def line_of(self, name: str, default: int | None = None) -> int:
        return self.lines.get(name, self.line if default is None else default)


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong with an input, where it is and what is allowed.

    ``line`` is where to look (the field's own line when known); ``record_line`` is the
    first line of the record the field belongs to.

    >>> str(Problem("catalog.yaml", 14, "buying_stage", "unknown buying stage 'x'"))
    "catalog.yaml:14: buying_stage: unknown buying stage 'x'"
    """

    file: str
    line: int
    field: str
    message: str
    record_line: int = 0

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        return f"{where}{self.field}: {self.message}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice (difflib, or one containing ``word``).

    >>> did_you_mean("stage", ["title", "buying_stage"])
    " (did you mean 'buying_stage'?)"
    """
    options = list(choices)
    close = difflib.get_close_matches(word, options, n=1)
    if not close:
        close = [c for c in options if len(word) >= 3 and word.lower() in c.lower()][:1]
    return f" (did you mean {close[0]!r}?)" if close else ""
