"""Analytics adapters: metrics and attribution computed on numeric engines (numpy, SQL)."""
