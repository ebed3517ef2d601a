"""Flow job: after a successful export, post its rows to the data warehouse (nothing to send: no call)."""

from openfn.adaptors.common import fn_if, source_value
from openfn.adaptors.http import post

operations = [
    fn_if(lambda state: state["data"]["rows"], post("/ingest/dhis2", body=source_value("$.data"), headers={"X-Source": "openfn"})),
]
