"""Multi-touch attribution: journeys, rule-based models, Shapley, and the Markov definition.

Pure standard library; the exact Markov solver lives in
:mod:`leadloop.analytics.attribution.markov` and implements
:class:`~leadloop.domain.attribution.markov.MarkovAttributor`.
"""

from leadloop.domain.attribution.heuristics import (
    HEURISTIC_MODELS,
    attribute,
    heuristic_attribution,
)
from leadloop.domain.attribution.journeys import (
    Attribution,
    Credit,
    Journey,
    Outcome,
    Touch,
    TouchEvent,
    TouchRules,
    build_journeys,
    journeys_from_paths,
)
from leadloop.domain.attribution.markov import MarkovAttributor, PathCount, aggregate_paths
from leadloop.domain.attribution.shapley import shapley_attribution

__all__ = [
    "HEURISTIC_MODELS",
    "Attribution",
    "Credit",
    "Journey",
    "MarkovAttributor",
    "Outcome",
    "PathCount",
    "Touch",
    "TouchEvent",
    "TouchRules",
    "aggregate_paths",
    "attribute",
    "build_journeys",
    "heuristic_attribution",
    "journeys_from_paths",
    "shapley_attribution",
]
