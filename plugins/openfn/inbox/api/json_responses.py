"""Every error the plugin's app returns is ``{"error": "<code>", "message": "<sentence with the fix>"}``,
including FastAPI's own (unknown path, wrong method, bad parameters) and, should one happen, a bug (500)."""

from __future__ import annotations

import json
import logging
import secrets

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from openfn.errors import InboxError

log = logging.getLogger("openfn.inbox")

_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "body_too_large", 415: "unsupported_media_type", 429: "too_many_runs",
}  # fmt: skip


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def json_response(payload, status: int = 200, raw: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> Response:
    """JSON with some values spliced in as raw JSON text (message bodies keep their exact numbers)."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    for placeholder, value in (raw or {}).items():
        text = text.replace(json.dumps(placeholder), value, 1)
    return Response(text, status_code=status, media_type="application/json", headers=headers)


def raw_placeholder() -> str:
    return f"@@openfn-raw-{secrets.token_hex(12)}@@"


def _sentence(detail) -> str:
    text = detail if isinstance(detail, str) else json.dumps(detail)
    return text if text.endswith(".") else f"{text}."


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(InboxError)
    async def _inbox_error(_request: Request, error: InboxError):
        return error_response(error.status, error.code, str(error), error.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException):
        code = _CODES.get(error.status_code, "error")
        if error.status_code == 404 and error.detail == "Not Found":
            message = f"There is nothing at {request.url.path}; see GET /openfn/api/projects for the inbox URLs."
        elif error.status_code == 405:
            message = f"{request.method} is not allowed here; the inbox takes POST (and GET for a test ping)."
        elif error.status_code in (401, 403):
            message = f"{_sentence(error.detail)[:-1]}; log in to Airflow (or send a JWT from POST /auth/token as a Bearer token)."
        else:
            message = _sentence(error.detail)
        return error_response(error.status_code, code, message, getattr(error, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in error.errors())
        return error_response(400, "invalid_request", f"The request is not valid ({problems}); correct it and retry.")

    @app.exception_handler(Exception)
    async def _bug(request: Request, error: Exception):
        log.exception("Unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "The inbox failed unexpectedly (see the api-server log); nothing may have been stored, so retry.")
