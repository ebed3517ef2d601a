"""The inbox endpoints (SPEC §6), open to senders: they have no Airflow user, the token is their key.

They are plain Starlette routes rather than FastAPI ones: they take no parameters FastAPI could validate
(the body is read and checked by receive.py), and skipping FastAPI's dependency resolution makes every
message cheaper to accept. The management API (api/management.py) is FastAPI.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from openfn.errors import InvalidBody, TooManyAttempts, UnknownInbox
from openfn.inbox.intake import receive as intake
from openfn.inbox.intake.guard import credential_digest
from openfn.inbox.intake.redaction import hide_token
from openfn.inbox.services import services_of
from openfn.inbox.urls import inbox_url


def client_of(request: Request) -> str:
    """The peer's address: whom failed attempts are counted against (see guard.py)."""
    return request.client.host if request.client else ""


def result_urls(request: Request, token: str):
    """``message id -> the URL its sender GETs the run's result from`` (built only when needed)."""
    return lambda message_id: f"{inbox_url(token, request.headers, request.url.scheme)}/messages/{message_id}"


def disconnection(request: Request):
    """``await``-able that returns once the client has gone (its body was read: the server has nothing else
    to tell us until then)."""

    async def disconnected() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    return disconnected


def response(reply: intake.Reply) -> Response:
    return Response(reply.text, status_code=reply.status, media_type="application/json" if reply.text else None, headers=reply.headers)


async def post_message(request: Request) -> Response:
    """Send a message to a project's inbox."""
    token = request.path_params["token"]
    hide_token(request.scope)  # from here on, whatever logs the path shows ***
    headers = request.headers
    reply = await intake.receive(services_of(request), token, headers, headers.items(), request.stream(), client_of(request),
                                 result_url=result_urls(request, token), disconnected=disconnection(request))  # fmt: skip
    return response(reply)


async def get_result(request: Request) -> Response:
    """The result of a message answered after completion, for its sender: waits for it up to the reply limit
    (``?wait=<seconds>`` or ``Prefer: wait=<seconds>`` for less), then answers as the POST would have, or 202
    while it runs."""
    token, message_id = request.path_params["token"], request.path_params["message_id"]
    hide_token(request.scope)
    services = services_of(request)
    target = await intake.admit_limited(services, token, request.headers, client_of(request))
    limit = services.inbox_settings.reply_timeout_seconds
    raw = request.query_params.get("wait")
    try:
        wait = intake.preferred_wait(request.headers) if raw is None else max(0.0, float(raw))
    except ValueError:
        raise InvalidBody("invalid_wait", f"wait must be a number of seconds from 0 to {limit:g}", fix="Send ?wait=10, or leave it out.") from None
    stored = await run_in_threadpool(intake.stored_reply, services, target, message_id)
    reply = await intake.answer_after_completion(services, message_id, stored, result_urls(request, token)(message_id), wait=wait,
                                                 disconnected=disconnection(request))  # fmt: skip
    return response(reply)


async def ping(request: Request) -> Response:
    """Check an inbox URL (webhook test ping)."""
    token = request.path_params["token"]
    hide_token(request.scope)
    services = services_of(request)
    client = client_of(request)
    wait = services.limiter.retry_after(client)
    if wait and not services.limiter.known(client, credential_digest(token, request.headers)):
        raise TooManyAttempts(wait)
    try:
        target = await run_in_threadpool(intake.find_target, services, token)
    except UnknownInbox:
        services.limiter.failed(client)
        raise
    if target.webhook is not None:
        workflow = target.webhook.workflow
        return JSONResponse({"message": f"This is the webhook of workflow {workflow.name!r} of OpenFn project {target.name!r}: "
                                        "POST a JSON message here to start a run of the workflow."})  # fmt: skip
    return JSONResponse({"message": f"This is the inbox of OpenFn project {target.name!r}: POST a JSON message here to start its jobs."})


routes = [
    Route("/inbox/{token}", post_message, methods=["POST"], name="openfn_inbox_post"),
    Route("/inbox/{token}", ping, methods=["GET"], name="openfn_inbox_ping"),
    Route("/inbox/{token}/messages/{message_id}", get_result, methods=["GET"], name="openfn_inbox_result"),
]
