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

from openfn.errors import TooManyAttempts, UnknownInbox
from openfn.inbox import intake
from openfn.inbox.guard import credential_digest
from openfn.inbox.redaction import hide_token
from openfn.inbox.runtime import InboxRuntime


def runtime_of(request: Request) -> InboxRuntime:
    return request.app.state.openfn_runtime()


def client_of(request: Request) -> str:
    """The peer's address: whom failed attempts are counted against (see guard.py)."""
    return request.client.host if request.client else ""


async def post_message(request: Request) -> Response:
    """Send a message to a project's inbox."""
    token = request.path_params["token"]
    hide_token(request.scope)  # from here on, whatever logs the path shows ***
    headers = request.headers
    reply = await intake.receive(runtime_of(request), token, headers, headers.items(), request.stream(), client_of(request))
    return Response(reply.text, status_code=reply.status, media_type="application/json")


async def ping(request: Request) -> Response:
    """Check an inbox URL (webhook test ping)."""
    token = request.path_params["token"]
    hide_token(request.scope)
    runtime = runtime_of(request)
    client = client_of(request)
    wait = runtime.limiter.retry_after(client)
    if wait and not runtime.limiter.known(client, credential_digest(token, request.headers)):
        raise TooManyAttempts(wait)
    try:
        target = await run_in_threadpool(intake.find_target, runtime, token)
    except UnknownInbox:
        runtime.limiter.failed(client)
        raise
    if target.webhook is not None:
        workflow = target.webhook.workflow
        return JSONResponse({"message": f"This is the webhook of workflow {workflow.name!r} of OpenFn project {target.name!r}: "
                                        "POST a JSON message here to start a run of the workflow."})  # fmt: skip
    return JSONResponse({"message": f"This is the inbox of OpenFn project {target.name!r}: POST a JSON message here to start its jobs."})


routes = [
    Route("/inbox/{token}", post_message, methods=["POST"], name="openfn_inbox_post"),
    Route("/inbox/{token}", ping, methods=["GET"], name="openfn_inbox_ping"),
]
