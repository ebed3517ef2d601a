"""The execution API's versioned routes are built while the api-server starts, not on a task's first call."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest
from fastapi import FastAPI

from openfn.inbox.workers.warmup import execution_api_app, warm_execution_api


@pytest.mark.slow  # builds every version of Airflow's execution API: seconds
def test_the_execution_api_mounted_in_the_api_server_is_built_once_before_its_first_request(monkeypatch):
    from airflow.api_fastapi.execution_api.app import create_task_execution_api_app

    execution = create_task_execution_api_app()
    root = FastAPI()
    root.mount("/execution", execution)
    monkeypatch.setitem(sys.modules, "airflow.api_fastapi.main", SimpleNamespace(app=root))
    assert execution_api_app() is execution
    assert execution._cadwyn_initialized is False  # Cadwyn would build them on the first request
    assert warm_execution_api() is True
    assert execution._cadwyn_initialized is True
    assert any("/task-instances/{task_instance_id}/run" in getattr(route, "path", "") for route in execution.routes)
    assert warm_execution_api() is False  # built once


def test_outside_an_api_server_there_is_nothing_to_build(monkeypatch):
    monkeypatch.delitem(sys.modules, "airflow.api_fastapi.main", raising=False)
    assert execution_api_app() is None and warm_execution_api() is False
