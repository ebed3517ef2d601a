from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


@pytest.fixture
def make_project(tmp_path: Path):
    """Write ``<tmp>/jobs/<folder>/project.yaml`` (and Python job files) and return the folder."""

    def make(yaml_text: str, folder: str = "demo", files: dict[str, str] | None = None) -> Path:
        root = tmp_path / "jobs" / folder
        root.mkdir(parents=True, exist_ok=True)
        (root / "project.yaml").write_text(textwrap.dedent(yaml_text))
        for name, text in (files or {"job.py": "operations = []\n"}).items():
            (root / name).write_text(text)
        return root

    return make
