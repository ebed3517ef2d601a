"""The queries behind every listing honour the projects a user may read (``Query.projects``), on both
databases: hidden messages are not listed, not found by id, text or JSON search, and not usable as a page
cursor; and the rule of access.py as the simple auth manager answers it (its roles cover every DAG)."""

from __future__ import annotations

import pytest

from openfn.inbox.store import search
FORM = {"formID": "f-1", "note": "forms-only-text"}
CASE = {"form": "case_referral", "case_id": "c-1"}


def _store(inbox) -> tuple[str, str]:
    forms = inbox.post("forms", FORM).json()["meta"]["message_id"]
    clinic = inbox.post("clinic", CASE).json()["meta"]["message_id"]
    return forms, clinic


def _scan(database, q: str | None, projects) -> list[str]:
    with database.read() as connection:
        scan = search.Scan(connection, database, search.Query.from_q(None, q, projects), before_seq=None, max_rows=100)
        return [row.id for row in scan]


@pytest.mark.parametrize("q", [None, "forms-only-text", '{"formID": "f-1"}', "FORMS-ONLY"])
def test_scan_keeps_to_the_readable_projects(any_inbox, q):
    forms, clinic = _store(any_inbox)
    database = any_inbox.runtime.database
    assert _scan(database, q, frozenset({"clinic"})) == ([] if q else [clinic])
    assert _scan(database, q, frozenset()) == []
    assert _scan(database, q, None) == ([forms] if q else [clinic, forms])


def test_scan_by_message_id_keeps_to_the_readable_projects(any_inbox):
    forms, _clinic = _store(any_inbox)
    database = any_inbox.runtime.database
    assert (_scan(database, forms, frozenset({"clinic"})), _scan(database, forms, frozenset({"forms"}))) == ([], [forms])


def test_hidden_message_has_no_row_and_no_cursor(any_inbox):
    forms, clinic = _store(any_inbox)
    with any_inbox.runtime.database.read() as connection:
        assert search.message_row(connection, forms, frozenset({"clinic"})) is None
        assert search.seq_of(connection, forms, frozenset({"clinic"})) is None
        assert search.message_row(connection, clinic, frozenset({"clinic"})).id == clinic
        assert search.seq_of(connection, forms, None) is not None


def test_a_user_who_may_read_every_dag_reads_every_project(inbox):
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    from openfn.inbox.api.access import access_for

    viewer = SimpleAuthManagerUser(username="v", role="viewer")
    access = access_for(viewer, {"clinic": ["clinic.referral"], "empty": []})
    assert (access.everything, access.projects, access.restriction, access.user_name) == (True, frozenset({"clinic", "empty"}), None, "v")


def test_a_user_without_a_role_reads_nothing(inbox):
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    from openfn.inbox.api.access import access_for

    access = access_for(SimpleAuthManagerUser(username="x", role=None), {"clinic": ["clinic.referral"]})
    assert (access.everything, access.restriction, access.can_read("clinic")) == (False, frozenset(), False)


def test_a_lightning_projects_workflow_dags_count_as_its_dags():
    from openfn.inbox.api.access import dag_ids_of
    from openfn.readers import load_project
    from tests.support.airflow_env import REPO

    project = load_project(REPO / "tests" / "fixtures" / "lightning" / "referrals")
    assert dag_ids_of(project) == ["referrals.Referral-Intake", "referrals.Nightly-Count"]
