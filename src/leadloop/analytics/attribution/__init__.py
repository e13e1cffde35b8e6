"""Attribution that needs numeric libraries: exact Markov chains (numpy + scipy)."""

from leadloop.analytics.attribution.markov import PathArrays, markov_attribution, path_arrays

__all__ = ["PathArrays", "markov_attribution", "path_arrays"]
