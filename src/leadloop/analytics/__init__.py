"""Analytics adapters: set-based computations written once with Ibis (DuckDB, PySpark) and
the numeric engines behind metrics and attribution (numpy, scipy)."""
