"""The inbox endpoints (SPEC §6), open to senders: they have no Airflow user, the token is their key."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from openfn.inbox import intake
from openfn.inbox.runtime import InboxRuntime

router = APIRouter(tags=["inbox"])


def runtime_of(request: Request) -> InboxRuntime:
    return request.app.state.openfn_runtime()


@router.post("/inbox/{token}", status_code=202, summary="Send a message to a project's inbox")
async def post_message(token: str, request: Request) -> Response:
    headers = request.headers
    reply = await intake.receive(runtime_of(request), token, headers, headers.items(), request.stream())
    return Response(reply.text, status_code=reply.status, media_type="application/json")


@router.get("/inbox/{token}", summary="Check an inbox URL (webhook test ping)")
async def ping(token: str, request: Request) -> Response:
    inbox_project = await run_in_threadpool(intake.find_project, runtime_of(request), token)
    return JSONResponse(
        {"message": f"This is the inbox of OpenFn project {inbox_project.name!r}: POST a JSON message here to start its jobs."}
    )
