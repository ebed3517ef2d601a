"""The OpenFn pages inside the Airflow UI: three HTML shells, their CSS/JS, and the page session.

The pages hold no data: their scripts read it from the management API (``/openfn/api``) and from
``/openfn/ui/api`` and build the DOM with ``textContent`` only. The Content-Security-Policy below allows
scripts and styles from this origin only (no inline code), so even a bug that inserted HTML from a
message body could not run it.
"""

from __future__ import annotations

import functools
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from openfn.ui.csrf import SESSION_COOKIE, token_for

STATIC = Path(__file__).with_name("static")
PAGES = {"": "inbox.html", "receipt": "receipt.html", "projects": "projects.html", "collections": "collections.html"}
TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}  # pages go through login

CSP = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",  # shown inside Airflow's own UI only
])  # fmt: skip
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

router = APIRouter(prefix="/ui", include_in_schema=False)


@functools.cache
def _read(name: str) -> bytes:
    return (STATIC / name).read_bytes()


async def _user_or_none(request: Request):
    from openfn.inbox.api.login import require_user

    try:
        return await require_user(request)
    except HTTPException as refused:
        if refused.status_code in (401, 403):
            return None
        raise


def _login_redirect(request: Request) -> Response:
    from airflow.api_fastapi.app import get_auth_manager

    return RedirectResponse(get_auth_manager().get_url_login(next_url=str(request.url)), status_code=307)


def _page(name: str):
    async def page(request: Request) -> Response:
        if await _user_or_none(request) is None:
            return _login_redirect(request)
        return Response(_read(name), media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    return page


for path, file in PAGES.items():
    router.add_api_route(f"/{path}", _page(file), methods=["GET"], name=f"openfn_ui_{path or 'inbox'}")


@router.get("/static/{name}")
def static(name: str) -> Response:
    kind = TYPES.get(Path(name).suffix)
    if kind is None or "/" in name or name.startswith(".") or not (STATIC / name).is_file():
        return JSONResponse({"error": "not_found", "message": f"There is no UI file {name!r}."}, status_code=404)
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    return Response(_read(name), media_type=f"{kind}; charset=utf-8", headers=headers)


@router.get("/api/session")
async def session(request: Request) -> Response:
    """Who is logged in, and the CSRF token the page sends back on every POST (see openfn.ui.csrf)."""
    user = await _user_or_none(request)
    if user is None:
        return JSONResponse({"error": "unauthorized", "message": "Log in to Airflow first."}, status_code=401)
    cookie = request.cookies.get(SESSION_COOKIE)
    body = {"user": user.get_name(), "csrf_token": token_for(cookie) if cookie else None}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
