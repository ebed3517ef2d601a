"""The deployment settings of deploy/*.env, as the tests read them (docker-compose.yaml and `make run` read
the same files: one place for every deployment setting)."""

from __future__ import annotations

from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def read_env(name: str) -> dict[str, str]:
    """``deploy/<name>``: KEY=VALUE lines; ``#`` starts a comment line. No quotes, no variables."""
    path = DEPLOY / name
    settings: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip() or any(c in value for c in "\"'$ "):
            raise ValueError(f"{path}:{number}: expected KEY=VALUE without quotes, spaces or variables, got {line!r}")
        settings[key.strip()] = value
    return settings


def common_settings() -> dict[str, str]:
    """Settings of every deployment (deploy/airflow.env)."""
    return read_env("airflow.env")


def celery_settings() -> dict[str, str]:
    """Settings of the scaled-out deployment: deploy/airflow.env, then deploy/celery.env."""
    return {**common_settings(), **read_env("celery.env")}
