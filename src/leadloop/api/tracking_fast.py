"""Tracking POSTs straight to their handler, past FastAPI's routing and dependency layers.

A `/v1/batch` request costs about a millisecond of CPU, and the exception, exit-stack,
router and request-handler layers took a tenth of it while adding nothing: the tracking
handler reads the raw body itself and returns its own response. This pure ASGI middleware
sits inside the CORS middleware (so browsers get the same headers) and runs the same
handler for exactly the tracking routes' POSTs; everything else, pre-flight included,
goes the usual way. The routes stay declared on the app for OpenAPI and the docs.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from leadloop.api.errors import error_response
from leadloop.api.routers.tracking import handle, tracking_paths
from leadloop.errors import LeadloopError


class TrackingFastPath:
    """Serve ``POST /v1/<tracking route>`` with the tracking handler directly."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.paths = tracking_paths()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope.get("root_path")
            or scope["path"] not in self.paths
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await handle(request, self.paths[scope["path"]])
        except LeadloopError as exc:  # as the app's exception handler answers it
            response = error_response(exc)
        await response(scope, receive, send)
