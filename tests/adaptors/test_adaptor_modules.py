"""Every adaptor module: each public operation documents itself with job code, and modules stay small."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

import openfn.adaptors.common as common

ADAPTORS = ["http", "dhis2", "commcare", "openmrs", "fhir", "postgresql"]
FOLDER = Path(common.__file__).parent


def operations(name: str) -> list[tuple[str, object]]:
    module = importlib.import_module(f"openfn.adaptors.{name}")
    found = []
    for public in module.__all__:
        value = getattr(module, public)
        if public in common.__all__ or inspect.isclass(value):
            continue
        if inspect.isfunction(value):
            found.append((public, value))
        else:  # a namespace such as dhis2.tracker or openmrs.fhir
            found += [(f"{public}.{key}", member) for key, member in vars(value).items() if key != "import"]
    return found


@pytest.mark.parametrize("name", ADAPTORS)
def test_every_public_operation_has_a_job_code_example(name):
    missing = [public for public, function in operations(name) if "Example:" not in (function.__doc__ or "") or "operations = [" not in function.__doc__]
    assert missing == []


@pytest.mark.parametrize("name", ADAPTORS)
def test_adaptors_re_export_language_common(name):
    module = importlib.import_module(f"openfn.adaptors.{name}")
    assert [public for public in common.__all__ if getattr(module, public, None) is not getattr(common, public)] == []


def test_every_adaptor_module_is_under_400_lines():
    sizes = {path.name: len(path.read_text().splitlines()) for path in FOLDER.glob("*.py")}
    assert {name: size for name, size in sizes.items() if size >= 400} == {}


def test_the_project_loader_knows_every_adaptor():
    from openfn.readers._jobs import available_adaptors

    assert set(ADAPTORS) <= set(available_adaptors())
