"""A cron job that keeps a cursor (the seed's "Keeping a cursor in state for timer jobs").

Each run exports only the records newer than ``state["lastId"]``, then moves the cursor. The source here
is a stand-in that always has three newer records; a real job would query a database or an API with the
cursor as its offset. The last operation drops what the next run does not need, so state stays small.
"""

from openfn.adaptors.common import fn


def fetch_new_records(state):
    last_id = state.get("lastId") or 0
    state["data"] = {"records": [{"id": last_id + n, "value": (last_id + n) * 10} for n in (1, 2, 3)]}
    return state


def export(state):
    records = state["data"]["records"]
    state["exported"] = len(records)
    state["lastId"] = max(record["id"] for record in records)
    return state


def keep_state_small(state):
    return {"data": {}, "references": [], "lastId": state["lastId"], "exported": state["exported"]}


operations = [fn(fetch_new_records), fn(export), fn(keep_state_small)]
