"""Seed filter 1: a CommCare registration form (formID patient_registration_v7) becomes a patient record.

A form without a name or date of birth fails the job, which starts `registration-failed`.
"""

from openfn.adaptors.common import assert_, fn


def build_patient(state):
    form = state["data"]
    state["patient"] = {
        "name": form["name"].strip().title(),
        "birthdate": form["dob"],
        "medications": sorted(form.get("medications", [])),
        "registered_on": form.get("submissionDate"),
    }
    return state


operations = [
    assert_(lambda state: bool(state["data"].get("name")), "The registration form has no name."),
    assert_(lambda state: bool(state["data"].get("dob")), "The registration form has no date of birth (dob)."),
    fn(build_patient),
]
