"""The OpenFn pages in Airflow's UI: the inbox, the receipt inspector and the projects.

``EXTERNAL_VIEW`` is the plugin's nav entry: Airflow shows ``href`` in a same-origin iframe under
``/plugin/openfn-inbox``, and keeps the iframe's own path in that URL, so every page can be bookmarked.
``install(app)`` adds the pages, their extra API and the CSRF guard to the plugin's FastAPI app.
Importing this package touches no database and starts nothing (every Airflow process imports the plugin).
"""

from __future__ import annotations

from fastapi import FastAPI

UI_PATH = "/openfn/ui/"

EXTERNAL_VIEW = {
    "name": "OpenFn Inbox",
    "href": UI_PATH,
    "url_route": "openfn-inbox",
    "destination": "nav",
    "nav_top_level": True,
    "icon": f"{UI_PATH}static/icon.svg",
    "icon_dark_mode": f"{UI_PATH}static/icon-dark.svg",
}


def install(app: FastAPI) -> FastAPI:
    from openfn.ui import pages, pages_api
    from openfn.ui.csrf import CsrfMiddleware

    app.include_router(pages.router)
    app.include_router(pages_api.router)
    app.add_middleware(CsrfMiddleware)
    return app
