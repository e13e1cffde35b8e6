"""Use cases, one unit of work each: they use the domain and the store's ports."""
