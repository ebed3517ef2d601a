"""The inbox (SPEC §6-8): senders POST JSON; each message is stored with one pending run per matching job,
then a dispatcher turns pending runs into Airflow DAG runs.

Packages by role (imports one way, checked by tests/test_architecture.py):

* ``intake/``: the senders' HTTP path. ``routes`` (redaction keeps the token out of logs) -> ``receive``
  (``guard``: failed-attempt budget and large-body slots; ``senders``: sender auth; ``body_reader``:
  size limits and gzip) -> ``catalog`` (match) -> the group writer.
* ``bodies/``: JSON bodies, shared by intake, store and workers: ``json_parsing`` with ``json_walk`` and
  ``filter_shape`` for large bodies.
* ``store/``: the schema (``database``, ``schema``) and every SQL statement: messages, search, receipts,
  job-states, re-runs, retention and erasure, tokens, the dispatcher's and the reply watcher's queries.
* ``workers/``: the background threads on one base (``loop``): writer, dispatcher, reply watcher, retention.
* ``api/``: the management API and readiness for logged-in users and balancers (``access``: per-project
  permissions), and the error responses of every route.
* ``services``: the container the routes receive (projects, tokens, database, workers); ``app`` builds
  the FastAPI app. ``catalog``, ``reply_answers`` and ``urls`` are shared by the parts.
"""
