"""A lab result from the demo project's inbox, handled by the example DAG openfn_example_lab_result
(dags/openfn_inbox_example.py): the run's state is the message, its body as ``data``."""

from openfn.adaptors.common import fn


def record(state):
    data = state["data"]
    state["recorded"] = {"message_id": state.get("message_id"), "patient": data.get("patient"), "result": data.get("result")}
    return state


operations = [fn(record)]
