"""Cross-site request forgery protection for the plugin's state-changing routes.

The Airflow UI authenticates with its session cookie (``_token``), which the browser attaches to any
request to this host, including one started by another site. So a POST that arrives with the cookie and
without an ``Authorization`` header must also carry ``X-OpenFn-CSRF``: a token derived from that very
cookie with a server secret (a synchronizer token, not a second cookie), which only a page of this origin
can obtain (``GET /openfn/ui/api/session``, readable only same-origin). Two cheaper checks come first: a
browser that says the request is cross-site (``Sec-Fetch-Site``) or from another ``Origin`` is refused.

A Bearer token (``POST /auth/token``) is never sent by a browser on its own, so such requests pass; but
only a non-empty one, since Airflow's login uses the cookie when the Bearer token is empty.
The token is bound to the cookie's value: when Airflow refreshes the cookie, pages fetch a new token.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from urllib.parse import urlsplit

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

HEADER = "x-openfn-csrf"
SESSION_COOKIE = "_token"  # airflow.api_fastapi.auth.managers.base_auth_manager.COOKIE_NAME_JWT_TOKEN
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@functools.cache
def _secret() -> bytes:
    from airflow.configuration import conf

    # jwt_secret must be the same on every api-server (or no session would work across them); secret_key
    # is the fallback for deployments that sign tokens with keys instead.
    secret = conf.get("api_auth", "jwt_secret", fallback="") or conf.get("api", "secret_key", fallback="")
    if not secret:
        raise RuntimeError("Set [api_auth] jwt_secret (or [api] secret_key): the OpenFn UI signs its CSRF tokens with it")
    return secret.encode()


def token_for(session: str, secret: bytes | None = None) -> str:
    """The CSRF token of one session cookie value."""
    return hmac.new(secret or _secret(), b"openfn-ui-csrf\0" + session.encode(), hashlib.sha256).hexdigest()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _own_origins(headers: dict[str, str], scheme: str) -> set[str]:
    from airflow.configuration import conf

    found = set()
    if host := headers.get("host"):
        found.add(f"{scheme}://{host}".lower())
    if base := conf.get("api", "base_url", fallback=""):
        found.add(_origin(base))
    for forwarded in ("x-forwarded-host",):  # behind a proxy the browser's origin is the proxy's host
        if value := headers.get(forwarded):
            proto = headers.get("x-forwarded-proto", scheme)
            found.add(f"{proto}://{value.split(',')[0].strip()}".lower())
    return found


def _bearer_token(headers: dict[str, str]) -> str:
    """The Bearer token the request authenticates with, parsed as Airflow's login does (FastAPI's
    HTTPBearer); "" when there is none. An empty ``Authorization: Bearer `` makes Airflow fall back to the
    session cookie, so it must not count as a Bearer token here either."""
    from fastapi.security.utils import get_authorization_scheme_param

    kind, token = get_authorization_scheme_param(headers.get("authorization"))
    return token if kind.lower() == "bearer" else ""


def refusal(headers: dict[str, str], cookies: dict[str, str], scheme: str, secret: bytes | None = None) -> str | None:
    """Why a state-changing request must be refused, or None when it may proceed."""
    if _bearer_token(headers):
        return None
    if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return "The request comes from another site"
    origin = headers.get("origin")
    if origin and origin != "null" and origin.lower() not in _own_origins(headers, scheme):
        return f"The request comes from another origin ({origin})"
    session = cookies.get(SESSION_COOKIE)
    given = headers.get(HEADER, "")
    if not session:
        return None  # no cookie, no ambient credentials: login will refuse it if it needs a user
    if not given or not hmac.compare_digest(given, token_for(session, secret)):
        return "The request has no valid X-OpenFn-CSRF header"
    return None


def _cookies(raw: str) -> dict[str, str]:
    from http.cookies import SimpleCookie

    jar = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


class CsrfMiddleware:
    """Refuses forged POST/PUT/PATCH/DELETE requests to the app with 403 and the usual error body."""

    def __init__(self, app: ASGIApp, *, prefixes: tuple[str, ...] = ("/api/", "/ui/")) -> None:
        self.app = app
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or not self._guarded(scope):
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        reason = refusal(headers, _cookies(headers.get("cookie", "")), scope.get("scheme", "http"))
        if reason is None:
            await self.app(scope, receive, send)
            return
        reply = JSONResponse(
            {"error": "csrf", "message": f"{reason}; reload the OpenFn page and retry, or call the API "
             "with a Bearer token from POST /auth/token."},
            status_code=403,
        )  # fmt: skip
        await reply(scope, receive, send)

    def _guarded(self, scope: Scope) -> bool:
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):  # Starlette keeps the mount prefix in path for mounted apps
            path = path[len(root):]
        return path.startswith(self.prefixes)
