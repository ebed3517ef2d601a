"""The plugin's FastAPI app, mounted by Airflow's api-server at ``/openfn`` (see plugins/openfn_plugin.py).

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

from openfn.inbox.login import require_user
from openfn.inbox.readiness import routes as readiness_routes
from openfn.inbox.redaction import HideInboxTokens
from openfn.inbox.responses import install_error_handlers
from openfn.inbox.routes_api import router as api_router
from openfn.inbox.routes_workflows import router as workflow_router
from openfn.inbox.routes_inbox import routes as inbox_routes
from openfn.inbox.runtime import InboxRuntime

URL_PREFIX = "/openfn"


def _lazy(factory: Callable[[], InboxRuntime]) -> Callable[[], InboxRuntime]:
    lock = threading.Lock()
    made: list[InboxRuntime] = []

    def get() -> InboxRuntime:
        if not made:
            with lock:
                if not made:
                    made.append(factory())
        return made[0]

    get.created = lambda: bool(made)  # type: ignore[attr-defined]
    return get


def create_app(runtime_factory: Callable[[], InboxRuntime] = InboxRuntime) -> FastAPI:
    """Build the app. Nothing touches the database or starts a thread until the app is started or used."""
    runtime = _lazy(runtime_factory)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        await run_in_threadpool(lambda: runtime().start())
        try:
            yield
        finally:
            if runtime.created():  # type: ignore[attr-defined]
                await run_in_threadpool(lambda: runtime().stop())

    app = FastAPI(
        title="OpenFn inbox",
        description="Senders POST JSON to a project's inbox URL; matching jobs run as Airflow DAG runs.",
        lifespan=lifespan,
        # No HTML docs: FastAPI's load their scripts from a CDN. The OpenAPI document is served behind login.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.openfn_runtime = runtime

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(require_user)])
    async def openapi_document() -> JSONResponse:
        """The management API's OpenAPI document, for logged-in Airflow users (load it in any OpenAPI viewer)."""
        return JSONResponse(app.openapi())

    app.router.routes.extend(inbox_routes + readiness_routes)
    app.include_router(api_router)
    app.include_router(workflow_router)
    install_error_handlers(app)
    app.add_middleware(HideInboxTokens)
    return app
