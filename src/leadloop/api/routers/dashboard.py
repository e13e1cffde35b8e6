"""The web dashboard: HTML pages for marketing and sales, signed in with an admin key.

The key is kept in an ``HttpOnly``, ``SameSite=Strict`` cookie (``Secure`` behind HTTPS)
and checked exactly like a Bearer key on every page, so revoking it signs the browser out.
Pages are not part of the JSON API and stay out of the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import escape
from starlette.concurrency import run_in_threadpool

from leadloop.api.deps import ContainerDep, authenticate
from leadloop.api.errors import status_for
from leadloop.bootstrap import Container
from leadloop.errors import AuthError, LeadloopError, NotFoundError
from leadloop.services.dashboard import dashboard, lead_page
from leadloop.services.leads import ACTIONS
from leadloop.store.workspaces import KeyInfo
from leadloop.web.pages import render_dashboard, render_lead, render_login

router = APIRouter(include_in_schema=False)

COOKIE = "leadloop_admin"
USER_COOKIE = "leadloop_user"
"""The e-mail of the user who last acted from this browser (prefills the action form)."""
_MAX_FORM = 4096


class _SignIn(Exception):
    """No valid admin key on this request: send the browser to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def _session(request: Request) -> KeyInfo | None:
    key = request.cookies.get(COOKIE)
    if not key:
        return None
    try:
        return authenticate(request, key, scope="admin")
    except AuthError:
        return None


def _signed_in(request: Request) -> KeyInfo:
    info = _session(request)
    if info is None:
        raise _SignIn(request.url.path)
    return info


Session = Annotated[KeyInfo, Depends(_signed_in)]


def _to_login(next_url: str) -> RedirectResponse:
    return RedirectResponse(f"/dashboard/login?next={quote(next_url)}", status_code=303)


def _safe_next(value: str | None) -> str:
    """Only our own pages: an open redirect would let a link send a signed-in user away."""
    if value and value.startswith("/dashboard") and "//" not in value and "\\" not in value:
        return value
    return "/dashboard"


def _workspace(container: ContainerDep, workspace_id: int) -> str:
    names = {ws_id: slug for ws_id, slug, *_ in container.workspaces.list_workspaces()}
    return names.get(workspace_id, str(workspace_id))


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/dashboard", status_code=307)


@router.get("/dashboard/login", response_class=HTMLResponse)
def login_page(next: str | None = None) -> HTMLResponse:
    return HTMLResponse(render_login(next_url=_safe_next(next)))


@router.post("/dashboard/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await _form(request)
    key = form.get("key", "").strip()
    next_url = _safe_next(form.get("next"))
    try:
        authenticate(request, key, scope="admin")
    except AuthError as exc:
        return HTMLResponse(render_login(str(exc), next_url), status_code=401)
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        COOKIE, key, httponly=True, samesite="strict", secure=request.url.scheme == "https",
        path="/", max_age=12 * 3600,
    )  # fmt: skip
    return response


@router.post("/dashboard/logout")
def logout() -> RedirectResponse:
    response = RedirectResponse("/dashboard/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/dashboard", response_class=HTMLResponse)
def overview_page(
    container: ContainerDep, key: Session, by: Literal["month", "quarter"] = "quarter"
) -> HTMLResponse:
    d = dashboard(
        container.engine, container.lead_store, container.profile_config, key.workspace_id,
        grain=by, report_ttl_s=container.settings.dashboard_report_ttl_s,
    )  # fmt: skip
    return HTMLResponse(render_dashboard(d, _workspace(container, key.workspace_id)))


@router.get("/dashboard/leads/{contact_id}", response_class=HTMLResponse)
def lead_detail(
    request: Request,
    contact_id: int,
    container: ContainerDep,
    key: Session,
    done: str | None = None,
    changed: int = 1,
) -> HTMLResponse:
    notice = None
    if done in ACTIONS:
        notice = f"{done}: done" if changed else f"{done}: the lead was already there"
    return _lead_response(request, container, key, contact_id, notice=notice)


@router.post("/dashboard/leads/{contact_id}/act", response_class=HTMLResponse)
async def lead_action(
    request: Request, contact_id: int, container: ContainerDep, key: Session
) -> Response:
    """A sales action from the lead page (Post/Redirect/Get; errors re-render the page)."""
    if not _same_origin(request):
        return HTMLResponse("<!doctype html><p>Cross-site form refused.</p>", status_code=403)
    form = await _form(request)
    action = form.get("action", "")
    user = form.get("user", "").strip()
    reason = form.get("reason", "").strip() or None
    try:
        result = await run_in_threadpool(
            container.leads.act, key.workspace_id, contact_id, action,
            user_email=user or None, reason=reason,
        )  # fmt: skip
    except LeadloopError as exc:
        status = status_for(exc)
        return _lead_response(request, container, key, contact_id, error=exc.message,
                              user=user, status=status)  # fmt: skip
    url = f"/dashboard/leads/{contact_id}?done={action}&changed={int(result.changed)}"
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        USER_COOKIE, user, httponly=True, samesite="strict",
        secure=request.url.scheme == "https", path="/dashboard", max_age=30 * 24 * 3600,
    )  # fmt: skip
    return response


async def _form(request: Request) -> dict[str, str]:
    """A small urlencoded form's fields, the first value of each (past 4 KB is ignored)."""
    fields = parse_qs((await request.body())[:_MAX_FORM].decode("utf-8", "replace"))
    return {name: values[0] for name, values in fields.items()}


def _same_origin(request: Request) -> bool:
    """A browser's form post names its page's origin; it must be ours (the SameSite=Strict
    cookie already keeps other sites out, this is the second lock)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


def _lead_response(
    request: Request,
    container: Container,
    key: KeyInfo,
    contact_id: int,
    *,
    notice: str | None = None,
    error: str | None = None,
    user: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    try:
        page = lead_page(
            container.engine, container.facts, container.leads, key.workspace_id, contact_id
        )
    except NotFoundError as exc:
        return HTMLResponse(f"<!doctype html><p>{escape(str(exc))}</p>", status_code=404)
    acting = user if user is not None else request.cookies.get(USER_COOKIE, "")
    html = render_lead(page, _workspace(container, key.workspace_id),
                       notice=notice, error=error, user=acting)  # fmt: skip
    return HTMLResponse(html, status_code=status)


def sign_in_redirect(_request: Request, exc: Exception) -> Response:
    """Installed by the app for :class:`_SignIn`."""
    assert isinstance(exc, _SignIn)
    return _to_login(exc.next_url)


SIGN_IN = _SignIn
