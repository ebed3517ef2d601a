"""Cron job with a cursor: export the data values DHIS2 updated since the last successful run.

`lastSync` is kept in the job's saved state (Airflow Variable `openfn.state.dhis2-export.weekly-export`):
the first run looks back 7 days; each successful run moves it to the moment that run started, so a
value updated while a run was reading is read again next week rather than missed. A failed run keeps
the previous cursor. The last operation keeps state small: only the cursor and the summary remain.
"""

from openfn.adaptors.common import cursor, fn, source_value
from openfn.adaptors.dhis2 import get

DATA_SET = "pBOMPrpg1QX"
ORG_UNIT = "DiszpKrYNg8"


def summarise(state):
    totals = {}
    for value in state["data"].get("dataValues") or []:
        key = (value["dataElement"], value["period"], value["orgUnit"])
        totals[key] = totals.get(key, 0) + float(value["value"])
    rows = [{"dataElement": e, "period": p, "orgUnit": o, "total": t} for (e, p, o), t in sorted(totals.items())]
    state["export"] = {"dataSet": DATA_SET, "since": state["since"], "rows": rows}
    return state


def keep_state_small(state):
    return {"data": state["export"], "references": [], "lastSync": state["lastSync"]}


operations = [
    cursor(source_value("$.lastSync"), key="since", default_value="7 days ago"),
    get("dataValueSets", {"dataSet": DATA_SET, "orgUnit": ORG_UNIT, "children": True, "lastUpdated": source_value("$.since")}),
    fn(summarise),
    cursor("start", key="lastSync"),
    fn(keep_state_small),
]
