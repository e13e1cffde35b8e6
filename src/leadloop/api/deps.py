"""Request dependencies: the container and the authenticated key."""

from __future__ import annotations

import base64
import time
from typing import Annotated

from fastapi import Depends, Request

from leadloop.bootstrap import Container
from leadloop.errors import AuthError
from leadloop.store.workspaces import KeyInfo

_KEY_TTL_S = 30.0


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def basic_username(header: str | None) -> str | None:
    """The user name of an HTTP Basic ``Authorization`` header (Segment puts the key there)."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=False).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded.split(":", 1)[0] or None


def bearer_token(header: str | None) -> str | None:
    if not header or not header.lower().startswith("bearer "):
        return None
    return header[7:].strip() or None


class KeyCache:
    """Authenticated keys for a few seconds, so each tracking request costs no lookup."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, KeyInfo | None]] = {}

    def lookup(self, container: Container, key: str) -> KeyInfo | None:
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and now - hit[0] < _KEY_TTL_S:
            return hit[1]
        info = container.workspaces.authenticate(key)
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[key] = (now, info)
        return info


def authenticate(request: Request, key: str | None, *, scope: str) -> KeyInfo:
    """Resolve a presented key or raise :class:`AuthError` (401)."""
    if not key:
        raise AuthError(
            "no API key: send it as the HTTP Basic user name, a Bearer token, or `writeKey`"
        )
    cache: KeyCache = request.app.state.key_cache
    info = cache.lookup(request.app.state.container, key)
    if info is None:
        raise AuthError("unknown or revoked API key", key_prefix=key[:6])
    if scope == "admin" and info.scope != "admin":
        raise AuthError("this endpoint needs an admin key; a write key only sends tracking data")
    return info


def admin_key(request: Request) -> KeyInfo:
    header = request.headers.get("authorization")
    key = bearer_token(header) or basic_username(header)
    return authenticate(request, key, scope="admin")


AdminKey = Annotated[KeyInfo, Depends(admin_key)]
