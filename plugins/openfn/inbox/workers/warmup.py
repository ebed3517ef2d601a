"""Airflow's execution API builds its versioned routes on its first request, on the api-server's event loop.

The execution API is a Cadwyn app: the first request to it generates the routers of every API version,
synchronously, inside the app's ``async __call__``. Until that is done the api-server's event loop runs
nothing else, inbox requests included. That first request is a task's first call (the first run after the
api-server started), so it came in the middle of traffic: ``bench/load.py`` measured the api-server
answering nothing for 30-40 s on a busy 2-core machine, every sender timing out, from the first task's
``PATCH /execution/task-instances/<id>/run`` on. Building the routes while the api-server starts, before
it serves anyone, costs the same time once, where nobody waits for it.
"""

from __future__ import annotations

import logging
import sys
import time

log = logging.getLogger("openfn.inbox")


def execution_api_app():
    """The execution API app mounted in this process's Airflow api-server (None: not an api-server, or none)."""
    main = sys.modules.get("airflow.api_fastapi.main")
    root = getattr(main, "app", None)
    for route in getattr(root, "routes", ()):
        if getattr(route, "path", None) == "/execution":
            return route.app
    return None


def warm_execution_api(app=None) -> bool:
    """Build the execution API's versioned routes now, if it has them still to build; True if it did."""
    app = app if app is not None else execution_api_app()
    if app is None or getattr(app, "_cadwyn_initialized", True):
        return False
    started = time.monotonic()
    try:
        app._cadwyn_initialize()
    except Exception:  # its first request will do it, as without this
        log.exception("Building Airflow's execution API routes ahead of its first request failed")
        return False
    log.info("Built Airflow's execution API routes ahead of its first request in %.1f s", time.monotonic() - started)
    return True
