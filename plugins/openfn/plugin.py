"""The Airflow plugin: mounts the OpenFn inbox and its management API at ``/openfn`` and adds the OpenFn
Inbox pages to Airflow's UI.

Airflow finds it two ways: through the ``airflow.plugins`` entry point of the installed package
(``pip install openfn-airflow``), or through plugins/openfn_plugin.py in a checkout's plugins folder.
Building it opens no database and starts no thread: every Airflow process imports it.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from openfn.inbox.app import URL_PREFIX, create_app
from openfn.ui import EXTERNAL_VIEW, install as install_ui


class OpenFnPlugin(AirflowPlugin):
    name = "openfn"
    fastapi_apps = [{"app": install_ui(create_app()), "url_prefix": URL_PREFIX, "name": "OpenFn inbox"}]
    external_views = [EXTERNAL_VIEW]
