"""A registration client asks for a patient id and waits for it: its trigger answers after completion, so
the sender's reply carries this job's `data` (the id), not just "accepted".

A request without a name or date of birth fails the job; the sender then gets the error (status 502).
"""

import hashlib

from openfn.adaptors.common import assert_, fn


def issue_id(state):
    form = state["data"]
    name, dob = form["name"].strip().title(), form["dob"]
    digest = hashlib.sha256(f"{name.lower()}|{dob}".encode()).hexdigest()[:8].upper()
    state["data"] = {"patient_id": f"P-{digest}", "name": name, "birthdate": dob}
    return state


operations = [
    assert_(lambda state: bool(state["data"].get("name")), "The request has no name."),
    assert_(lambda state: bool(state["data"].get("dob")), "The request has no date of birth (dob)."),
    fn(issue_id),
]
