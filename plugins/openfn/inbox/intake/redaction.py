"""Keeping inbox tokens out of logs. The token is the secret part of the inbox URL, and the api-server logs
every request's path (Airflow's access log middleware, and uvicorn's where that is on): so the inbox
replaces the token in the request's path with ``***`` as soon as it has read it, and again, whatever the
outcome (405, 404, an error), before the response goes back out through the logging middleware.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

HIDDEN = "***"
_SEGMENT = "/inbox/"


def hide_token(scope: Scope) -> None:
    """Replace the path segment after ``/inbox/`` in the request's ``path`` and ``raw_path``."""
    path = scope.get("path", "")
    if _SEGMENT not in path:
        return
    root = scope.get("root_path", "")
    relative = path[len(root):] if root and path.startswith(root) else path
    if not relative.startswith(_SEGMENT) or relative == _SEGMENT:
        return
    start = len(path) - len(relative) + len(_SEGMENT)
    scope["path"] = path[:start] + HIDDEN
    raw = scope.get("raw_path")
    if raw:
        cut = raw.find(_SEGMENT.encode())
        if cut >= 0:
            scope["raw_path"] = raw[: cut + len(_SEGMENT)] + HIDDEN.encode()


class HideInboxTokens:
    """ASGI middleware: after the app answered, the request's path no longer holds an inbox token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http":
                hide_token(scope)
