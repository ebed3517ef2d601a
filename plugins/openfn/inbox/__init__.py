"""The inbox (SPEC §6-8): senders POST JSON; each message is stored with one pending run per matching job,
then a dispatcher turns pending runs into Airflow DAG runs.

The request path, one module per step: routes_inbox (redaction keeps the token out of logs) -> intake
(guard: failed-attempt budget and large-body slots; tokens, senders, body, jsonbody with jsonstream and
shape for large bodies) -> catalog (match) -> store -> dispatcher. The management API (routes_api) reads
receipts (receipts, jobstates, search) and starts runs again (reruns), for the projects a user may read
(access); retention deletes expired messages and erases one on request. db and schema own the tables.
"""
