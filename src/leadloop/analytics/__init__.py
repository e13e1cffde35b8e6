"""Set-based computations written once with Ibis, run on DuckDB (default) or PySpark."""
