"""Fail job: tells the referral team which form could not be registered, and why, over an HTTP webhook."""

from openfn.adaptors.common import fn
from openfn.adaptors.http import post


def alert(state):
    form = state["data"].get("form") or {}
    error = state["errors"]["register-referral"]
    state["alert"] = {
        "text": f"Referral {form.get('case', {}).get('@case_id', '?')} was not registered in OpenMRS",
        "form_id": form.get("meta", {}).get("instanceID"),
        "error": error["message"],
    }
    return state


operations = [fn(alert), post("/alerts", body=lambda state: state["alert"])]
