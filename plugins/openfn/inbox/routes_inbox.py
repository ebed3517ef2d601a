"""The inbox endpoints (SPEC §6), open to senders: they have no Airflow user, the token is their key.

They are plain Starlette routes rather than FastAPI ones: they take no parameters FastAPI could validate
(the body is read and checked by intake.py), and skipping FastAPI's dependency resolution makes every
message cheaper to accept. The management API (routes_api.py) is FastAPI.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from openfn.inbox import intake
from openfn.inbox.redaction import hide_token
from openfn.inbox.runtime import InboxRuntime


def runtime_of(request: Request) -> InboxRuntime:
    return request.app.state.openfn_runtime()


async def post_message(request: Request) -> Response:
    """Send a message to a project's inbox."""
    token = request.path_params["token"]
    hide_token(request.scope)  # from here on, whatever logs the path shows ***
    headers = request.headers
    reply = await intake.receive(runtime_of(request), token, headers, headers.items(), request.stream())
    return Response(reply.text, status_code=reply.status, media_type="application/json")


async def ping(request: Request) -> Response:
    """Check an inbox URL (webhook test ping)."""
    token = request.path_params["token"]
    hide_token(request.scope)
    inbox_project = await run_in_threadpool(intake.find_project, runtime_of(request), token)
    return JSONResponse(
        {"message": f"This is the inbox of OpenFn project {inbox_project.name!r}: POST a JSON message here to start its jobs."}
    )


routes = [
    Route("/inbox/{token}", post_message, methods=["POST"], name="openfn_inbox_post"),
    Route("/inbox/{token}", ping, methods=["GET"], name="openfn_inbox_ping"),
]
