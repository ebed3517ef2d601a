"""A CommCare referral form (forwarded as JSON) becomes an OpenMRS patient, once.

The CommCare case id is kept as the patient's identifier, so a form sent twice finds the patient made
the first time instead of registering a duplicate. An OpenMRS refusal (say, a missing sex) fails the
job, which starts `notify-failure`.
"""

from openfn.adaptors.common import as_, assert_, fn, fn_if, source_value
from openfn.adaptors.openmrs import create_patient, search_patient

# The OpenMRS identifier type that holds CommCare case ids, and the registering location.
CASE_ID_TYPE = "8d79403a-c2cc-11de-8d13-0010c6dffd0f"
LOCATION = "44c3efb0-2583-4c80-a79e-1f756a03c0a1"
GENDERS = {"female": "F", "male": "M"}


def build_patient(state):
    form = state["data"]["form"]
    person = form["patient"]
    state["case_id"] = form["case"]["@case_id"]
    state["patient"] = {
        "identifiers": [{"identifier": state["case_id"], "identifierType": CASE_ID_TYPE, "location": LOCATION, "preferred": True}],
        "person": {
            "names": [{"givenName": person["given_name"].strip().title(), "familyName": person["family_name"].strip().title()}],
            "gender": GENDERS.get(person.get("sex", "").lower()),
            "birthdate": person["dob"],
        },
    }
    return state


def remember_patient(state):
    found = state["existing"][0] if state["existing"] else state["data"]
    return {
        "data": {"patient_uuid": found["uuid"], "case_id": state["case_id"], "created": not state["existing"]},
        "references": [],
    }


operations = [
    assert_(lambda state: (state["data"].get("form") or {}).get("patient"), "The form has no patient group."),
    fn(build_patient),
    as_("existing", search_patient({"identifier": source_value("$.case_id"), "v": "default"})),
    fn_if(lambda state: not state["existing"], create_patient(source_value("$.patient"))),
    fn(remember_patient),
]
