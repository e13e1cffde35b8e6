"""The runnable examples in the metric and attribution docstrings are true."""

from __future__ import annotations

import doctest

import pytest

import leadloop.domain.attribution.markov
import leadloop.domain.metrics.periods


@pytest.mark.parametrize(
    "module", [leadloop.domain.metrics.periods, leadloop.domain.attribution.markov]
)
def test_docstring_examples(module: object) -> None:
    failed, tried = doctest.testmod(module, verbose=False)  # type: ignore[arg-type]
    assert tried > 0 and failed == 0
