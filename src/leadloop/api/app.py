"""The FastAPI application factory."""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from leadloop import __version__
from leadloop.api import errors
from leadloop.api.deps import KeyCache
from leadloop.api.routers import (
    analytics,
    content,
    content_influence,
    dashboard,
    handoff,
    leads,
    meta,
    profiles,
    rules,
    snippet,
    tracking,
)
from leadloop.api.schemas import SegmentBatch, SegmentMessage
from leadloop.api.tracking_fast import TrackingFastPath
from leadloop.bootstrap import Container

SWITCH_INTERVAL_S = 0.0005
"""How often a thread waiting for the GIL can take it from a busy one (bench/RESULTS.md)."""

DESCRIPTION = """
Leadloop closes the loop between B2B marketing and sales.

**Tracking** speaks Segment's HTTP Tracking API, so Segment and RudderStack client
libraries work unchanged: point their host at this server and use a Leadloop write key.
Authenticate with HTTP Basic (the key as user name) or `writeKey` in the body.
Admin endpoints take an admin key as `Authorization: Bearer <key>`.
"""


def create_app(container: Container, *, tracking_fast_path: bool = True) -> FastAPI:
    """Build the app around an already wired :class:`Container`.

    ``tracking_fast_path=False`` routes tracking POSTs through FastAPI like every other
    route (the tests compare the two).
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        container.writer  # noqa: B018 - start the writer before the first request
        yield
        container.close()

    app = FastAPI(
        title="Leadloop",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.container = container
    app.state.key_cache = KeyCache()
    if tracking_fast_path:
        app.add_middleware(TrackingFastPath)  # added first: the CORS middleware wraps it
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["POST", "GET", "OPTIONS"],
        allow_headers=["*"],
        max_age=86400,
    )
    errors.install(app)
    app.include_router(tracking.router)
    app.include_router(meta.router)
    app.include_router(content_influence.router)  # before content: /influence is no asset
    app.include_router(content.router)
    app.include_router(rules.router)
    app.include_router(leads.router)
    app.include_router(handoff.router)
    app.include_router(snippet.router)
    app.include_router(profiles.router)
    app.include_router(analytics.router)
    app.include_router(dashboard.router)
    app.add_exception_handler(dashboard.SIGN_IN, dashboard.sign_in_redirect)
    _add_body_schemas(app)
    return app


def _add_body_schemas(app: FastAPI) -> None:
    """Publish the raw-body models that the tracking routes reference by ``$ref``."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (SegmentMessage, SegmentBatch):
            extra = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(extra.pop("$defs", {}))
            components[model.__name__] = extra
        schema["components"]["securitySchemes"] = {
            "writeKey": {
                "type": "http",
                "scheme": "basic",
                "description": "Write key as the Basic user name, empty password "
                "(or `writeKey` in the body).",
            },
            "adminKey": {"type": "http", "scheme": "bearer", "description": "Admin key."},
        }
        for path, item in schema["paths"].items():
            for operation in item.values():
                if path.startswith("/v1/") and "tracking" in operation.get("tags", []):
                    operation["security"] = [{"writeKey": []}, {}]
                elif "snippet" in operation.get("tags", []):
                    operation["security"] = []  # public: pages load it, the key is in the path
                elif path != "/health":
                    operation["security"] = [{"adminKey": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` and multi-worker serving: settings from the environment."""
    from leadloop.bootstrap import bootstrap
    from leadloop.config import Settings
    from leadloop.logging import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    # Ingest allocates many short-lived objects: collect the young generation less often.
    gc.set_threshold(50_000, 20, 20)
    gc.freeze()
    # The event loop gives up the GIL at every socket wait; with the writer and the profile
    # worker busy in Python it then waits up to a whole switch interval to get it back
    # (5 ms by default), several times per request. 0.5 ms measured +25% requests/s.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    return create_app(bootstrap(settings))
