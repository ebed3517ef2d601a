"""``GET /openfn/ready``: whether this api-server's inbox can take messages (for load balancers).

Airflow's ``/api/v2/monitor/health`` answers as soon as Airflow does, before the inbox has loaded its
projects and tokens; a balancer that trusted it would send messages to a server still warming up. This
answers 200 only once the inbox has started (tables, dispatcher, projects, tokens, writer: see
services.py); until then 503, and the probe itself starts the warm-up if the app's lifespan did not.
It needs no login (balancers have none) and says nothing but whether, how many projects are served and how
many requests this api-server process holds for their run's result (workers/replies.py).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from openfn.inbox.services import services_of

STARTING = "This api-server's inbox is starting (or cannot reach the metadata database yet); retry in a moment."


async def ready(request: Request) -> JSONResponse:
    """Readiness probe: 200 when this api-server's inbox takes messages, 503 while it starts."""
    services = services_of(request)
    if not services.started:
        await run_in_threadpool(services.ensure_started)
    if not services.started:
        return JSONResponse({"error": "unavailable", "message": STARTING}, status_code=503, headers={"Retry-After": "1"})
    catalog = services.catalog
    snapshot = catalog.snapshot() if catalog.fresh() else await run_in_threadpool(catalog.snapshot)  # files: not on the loop
    return JSONResponse({"status": "ready", "projects": len(snapshot.projects), "waiting_replies": services.waiting_replies})


routes = [Route("/ready", ready, methods=["GET"], name="openfn_ready")]
