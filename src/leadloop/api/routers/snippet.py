"""The browser side of tracking, served by Leadloop itself so that no page needs a CDN.

``GET /t.js`` is the tracking snippet (``leadloop/web/static/t.js``). ``GET
/v1/projects/{writeKey}/settings`` is the settings document Segment's own browser library
(analytics-next) fetches at start; served here, it points that library back at this server.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from leadloop.api.deps import authenticate
from leadloop.api.schemas import ErrorBody

router = APIRouter(tags=["snippet"])

CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400"
"""Five minutes fresh, then revalidated by ETag: a new snippet reaches every site quickly."""

_FULL_LINE_COMMENT = re.compile(r"^\s*//.*\n", re.MULTILINE)


@dataclass(frozen=True)
class Asset:
    """A static file as served: plain and gzipped bytes and their strong ETag."""

    body: bytes
    gzipped: bytes
    etag: str


@cache
def snippet() -> Asset:
    """``t.js`` without its full-line comments (the readable source stays in the package)."""
    source = resources.files("leadloop.web").joinpath("static/t.js").read_text("utf-8")
    body = _FULL_LINE_COMMENT.sub("", source).encode()
    digest = hashlib.sha256(body).hexdigest()[:20]
    return Asset(body, gzip.compress(body, 9, mtime=0), f'"{digest}"')


@router.get(
    "/t.js",
    summary="The tracking snippet: page views, read depth, downloads, forms, video.",
    response_class=Response,
    responses={
        200: {"content": {"text/javascript": {}}, "description": "The snippet."},
        304: {"description": "Unchanged since the `If-None-Match` ETag."},
    },
)
def tracking_snippet(request: Request) -> Response:
    """Embed with `<script async src="https://HOST/t.js" data-write-key="...">`."""
    asset = snippet()
    headers = {
        "ETag": asset.etag,
        "Cache-Control": CACHE_CONTROL,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    if asset.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    body = asset.body
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


class SegmentSettings(BaseModel):
    """The subset of Segment's project settings that analytics-next reads at start."""

    integrations: dict[str, Any] = Field(
        description="Only `Segment.io`, whose apiHost is this server: no destination loads."
    )
    plan: dict[str, Any]
    metrics: dict[str, Any] = Field(description="Sample rate 0: the library sends no metrics.")
    remotePlugins: list[Any] = Field(default_factory=list)
    enabledMiddleware: dict[str, Any] = Field(default_factory=dict)
    middlewareSettings: dict[str, Any] = Field(default_factory=dict)
    edgeFunction: dict[str, Any] = Field(default_factory=dict)
    analyticsNextEnabled: bool = True
    legacyVideoPluginsEnabled: bool = False


@router.get(
    "/v1/projects/{write_key}/settings",
    summary="Settings for Segment's analytics-next, pointing it at this server.",
    response_model=SegmentSettings,
    responses={401: {"model": ErrorBody, "description": "Unknown write key."}},
)
def segment_settings(write_key: str, request: Request) -> SegmentSettings:
    """Load analytics-next with `cdnURL` set to this server's address to use it."""
    authenticate(request, write_key, scope="write")
    api_host = f"{request.url.netloc}/v1"
    return SegmentSettings(
        integrations={
            "Segment.io": {
                "apiKey": write_key,
                "apiHost": api_host,
                "protocol": request.url.scheme,
                "unbundledIntegrations": [],
                "addBundledMetadata": False,
            }
        },
        plan={"track": {"__default": {"enabled": True, "integrations": {}}}},
        metrics={"sampleRate": 0, "host": api_host},
    )
