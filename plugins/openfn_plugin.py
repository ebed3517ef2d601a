"""Airflow plugin entry point: mounts the OpenFn inbox and its management API at ``/openfn``.

Airflow imports every .py file directly in plugins/ in every process, so this only builds the FastAPI app
(no database, no threads at import); the ``openfn`` package itself is skipped by plugins/.airflowignore.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from openfn.inbox.app import URL_PREFIX, create_app


class OpenFnPlugin(AirflowPlugin):
    name = "openfn"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "OpenFn inbox"}]
