"""The plugin's FastAPI app, mounted by Airflow's api-server at ``/openfn`` (see openfn/plugin.py).

Airflow's api-server enters the lifespan of the FastAPI apps it mounts, which starts the dispatcher with
the api-server and stops it on shutdown. The first request also starts it if it is not running (another
host app may not run the lifespan), so messages never wait for more than the dispatcher's sweep.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from openfn.inbox.api.collection_admin import router as collection_admin_router
from openfn.inbox.api.collection_auth import RunTokens
from openfn.inbox.api.collections import router as collections_router
from openfn.inbox.api.json_responses import install_error_handlers
from openfn.inbox.api.login import require_user
from openfn.inbox.api.management import router as api_router
from openfn.inbox.api.readiness import routes as readiness_routes
from openfn.inbox.api.watch import router as watch_router
from openfn.inbox.api.workflows import router as workflow_router
from openfn.inbox.api.results import router as results_router
from openfn.inbox.intake.redaction import HideInboxTokens
from openfn.inbox.intake.routes import routes as inbox_routes
from openfn.inbox.services import InboxServices
from openfn.inbox.workers.warmup import warm_execution_api

URL_PREFIX = "/openfn"


def _lazy(factory: Callable[[], InboxServices]) -> Callable[[], InboxServices]:
    lock = threading.Lock()
    made: list[InboxServices] = []

    def get() -> InboxServices:
        if not made:
            with lock:
                if not made:
                    made.append(factory())
        return made[0]

    get.created = lambda: bool(made)  # type: ignore[attr-defined]
    return get


def create_app(services_factory: Callable[[], InboxServices] = InboxServices) -> FastAPI:
    """Build the app. Nothing touches the database or starts a thread until the app is started or used."""
    services = _lazy(services_factory)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        await run_in_threadpool(warm_execution_api)  # before anyone is served: see workers/warmup.py
        await run_in_threadpool(lambda: services().start())
        try:
            yield
        finally:
            if services.created():  # type: ignore[attr-defined]
                await run_in_threadpool(lambda: services().stop())

    app = FastAPI(
        title="OpenFn inbox",
        description="Senders POST JSON to a project's inbox URL; matching jobs run as Airflow DAG runs.",
        lifespan=lifespan,
        # No HTML docs: FastAPI's load their scripts from a CDN. The OpenAPI document is served behind login.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.openfn_services = services
    app.state.openfn_run_tokens = RunTokens(lambda: services().database)

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(require_user)])
    async def openapi_document() -> JSONResponse:
        """The management API's OpenAPI document, for logged-in Airflow users (load it in any OpenAPI viewer)."""
        return JSONResponse(app.openapi())

    app.router.routes.extend(inbox_routes + readiness_routes)
    app.include_router(api_router)
    app.include_router(workflow_router)
    app.include_router(collections_router)
    app.include_router(collection_admin_router)
    app.include_router(watch_router)
    app.include_router(results_router)
    install_error_handlers(app)
    app.add_middleware(HideInboxTokens)
    return app
