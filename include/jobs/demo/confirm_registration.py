"""Flow job: runs after register-patient succeeds, starting from its final state."""

from openfn.adaptors.common import fn


def confirm(state):
    state["confirmation"] = f"Registered {state['patient']['name']} (born {state['patient']['birthdate']})."
    return state


operations = [fn(confirm)]
