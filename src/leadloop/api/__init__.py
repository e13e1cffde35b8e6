"""HTTP entry points: FastAPI app factory, one router per resource."""
