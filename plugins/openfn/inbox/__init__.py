"""The inbox (SPEC §6-8): senders POST JSON; each message is stored with one pending run per matching job,
then a dispatcher turns pending runs into Airflow DAG runs.

The request path, one module per step: routes_inbox -> intake (tokens, senders, body, jsonbody) ->
catalog (match) -> store -> dispatcher. The management API (routes_api) reads receipts (receipts,
jobstates, search) and starts runs again (reruns). db and schema own the plugin's tables.
"""
