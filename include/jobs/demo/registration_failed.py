"""Fail job: runs after register-patient fails, starting from its state at failure, with `errors`."""

from openfn.adaptors.common import fn


def describe_failure(state):
    error = state["errors"]["register-patient"]
    state["alert"] = f"Registration needs a manual check: {error['message']}"
    return state


operations = [fn(describe_failure)]
