"""Seed filter 2: records of "john doe" are shared unless the sender set allowedToShare: false."""

from openfn.adaptors.common import fn


def share(state):
    state["shared"] = {"name": state["data"]["name"], "dob": state["data"].get("dob")}
    return state


operations = [fn(share)]
