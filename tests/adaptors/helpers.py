"""Shared by the adaptor tests: exact-message matching, a tiny job runner, OpenFn-style sample data."""

from __future__ import annotations

import copy
import re
from functools import reduce


def exact(message: str) -> str:
    """A ``pytest.raises(match=...)`` pattern for exactly ``message``."""
    return f"^{re.escape(message)}$"


def run_job(operations: list, state: dict) -> dict:
    """Apply ``operations`` in order, as the runtime does."""
    return reduce(lambda current, operation: operation(current), operations, state)


REGISTRATION_FORM = {
    "formID": "patient_registration_v7",
    "submissionDate": "2016-01-15",
    "form": {
        "@xmlns": "http://openrosa.org/formdesigner/patient-registration",
        "name": "Jack Wilshere",
        "dob": "1986-05-16",
        "medications": ["anaphlene", "zaradood", "morphofast"],
        "case": {"@case_id": "case-7f3a", "update": {"district": "Kisumu"}},
    },
}

PATIENTS = [
    {"name": "Jack Wilshere", "age": 37, "address": {"district": "Kisumu"}, "case_id": "case-7f3a"},
    {"name": "Larry Bird", "age": 41, "address": {"district": "Siaya"}, "case_id": "case-91bc"},
    {"name": "Aleksa Iwobi", "age": 37, "address": {"district": "Kisumu"}, "case_id": "case-02de"},
]


def form_state() -> dict:
    """A message run's state for the registration form (a fresh copy each time)."""
    return {"data": copy.deepcopy(REGISTRATION_FORM), "references": [], "configuration": {"host": "https://openmrs.example.org"}}


def patients_state() -> dict:
    return {"data": {"patients": copy.deepcopy(PATIENTS)}, "references": []}
