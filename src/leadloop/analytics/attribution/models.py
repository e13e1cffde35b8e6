"""Every attribution model behind one name, for reports: rule-based, Shapley and Markov.

The report layer asks for models by name (``leadloop report attribution --model ...``);
this is the one place that maps a name to the domain model or the exact Markov solver.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Final

from leadloop.analytics.attribution.markov import markov_attribution
from leadloop.domain.attribution import (
    HEURISTIC_MODELS,
    Attribution,
    Journey,
    aggregate_paths,
    heuristic_attribution,
    shapley_attribution,
)
from leadloop.errors import ValidationError

MODELS: Final = (*HEURISTIC_MODELS, "shapley", "markov_1", "markov_2", "markov_3")
"""Every model name :func:`run_model` accepts, in report order."""


def run_model(
    journeys: Iterable[Journey],
    model: str,
    *,
    half_life: timedelta | None = None,
    samples: int = 2_000,
    seed: int = 0,
) -> Attribution:
    """Credits of ``journeys`` under the model named ``model`` (one of :data:`MODELS`).

    ``half_life`` tunes ``time_decay``; ``samples`` and ``seed`` tune sampled Shapley.
    """
    if model in HEURISTIC_MODELS:
        return heuristic_attribution(journeys, model, half_life=half_life)
    if model == "shapley":
        return shapley_attribution(journeys, samples=samples, seed=seed)
    if model.startswith("markov_") and model in MODELS:
        return markov_attribution(aggregate_paths(journeys), order=int(model[-1]))
    raise ValidationError(
        f"unknown attribution model {model!r}; allowed: {', '.join(MODELS)}", model=model
    )
