"""Attribution that needs numeric libraries: exact Markov chains (numpy + scipy), and the
one name-to-model map reports use."""

from leadloop.analytics.attribution.markov import PathArrays, markov_attribution, path_arrays
from leadloop.analytics.attribution.models import MODELS, run_model

__all__ = ["MODELS", "PathArrays", "markov_attribution", "path_arrays", "run_model"]
