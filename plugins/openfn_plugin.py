"""Airflow plugin entry point: mounts the OpenFn inbox and its management API at ``/openfn``.

Airflow imports every .py file directly in plugins/ in every process, so this only builds the FastAPI app
(no database, no threads at import); the ``openfn`` package itself is skipped by plugins/.airflowignore.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from openfn.inbox.app import URL_PREFIX, create_app
from openfn.ui import EXTERNAL_VIEW, install as install_ui  # the OpenFn Inbox pages in Airflow's UI (openfn/ui)


class OpenFnPlugin(AirflowPlugin):
    name = "openfn"
    fastapi_apps = [{"app": install_ui(create_app()), "url_prefix": URL_PREFIX, "name": "OpenFn inbox"}]
    external_views = [EXTERNAL_VIEW]
