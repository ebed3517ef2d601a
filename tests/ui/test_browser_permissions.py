"""The OpenFn pages for users whose Airflow role covers only some DAGs: a real api-server with the FAB auth
manager on PostgreSQL (tests/support/fab_deployment.py), users logging in through FAB's own login page in
Debian's Chromium. A nurse who may read the clinic project's DAGs sees its messages and nothing of the demo
project, no inbox URL, and cannot re-run; an operator who may edit them sees the inbox URL."""

from __future__ import annotations

import os

import pytest

from tests.support.fab_deployment import fab_deployment
from tests.ui.test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.postgres]
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

CASE = {"form": "case_referral", "case_id": "ui-perm-1", "district": "Kisumu"}
FORM = {"formID": "patient_registration_v7", "name": "hidden patient", "dob": "2001-02-03"}


@pytest.fixture(scope="module")
def airflow(postgres_server, tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: run scripts/system-deps.sh")
    with fab_deployment(tmp_path_factory.mktemp("ui-perm"), "postgresql", postgres_server) as deployment:
        deployment.clinic_id = deployment.send("clinic", CASE)
        deployment.demo_id = deployment.send("demo", FORM)
        yield deployment


@pytest.fixture(scope="module")
def browser(airflow):
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def logged_in(browser, airflow, user: str):
    """A page of a browser context logged in as ``user`` through FAB's login form."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{airflow.url}/openfn/ui/")  # not logged in: sent to the auth manager's login page, and back
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", user)
    page.keyboard.press("Enter")
    expect(page.locator("#count")).to_contain_text("message", timeout=60_000)
    return page


def test_nurse_sees_only_the_clinic_projects_messages(browser, airflow):
    page = logged_in(browser, airflow, "nurse")
    expect(page.locator(f'#rows tr[data-id="{airflow.clinic_id}"]')).to_be_visible()
    expect(page.locator("#rows tr[data-id]")).to_have_count(1)
    expect(page.locator("#filters select[name=project] option")).to_have_text(["All projects", "clinic"])
    page.goto(f"{airflow.url}/openfn/ui/?q=hidden%20patient")
    expect(page.locator("#rows")).to_contain_text("No message matches these filters.")
    page.context.close()


def test_nurse_cannot_open_another_projects_receipt(browser, airflow):
    page = logged_in(browser, airflow, "nurse")
    page.goto(f"{airflow.url}/openfn/ui/receipt?id={airflow.demo_id}")
    expect(page.locator("#notice")).to_have_text(f"There is no message '{airflow.demo_id}'; check the id (GET /openfn/api/messages lists them).")
    expect(page.locator("pre.json")).to_have_count(0)
    page.context.close()


def test_nurse_sees_the_project_without_its_inbox_url_and_may_not_rerun(browser, airflow):
    page = logged_in(browser, airflow, "nurse")
    page.goto(f"{airflow.url}/openfn/ui/projects")
    expect(page.locator("section.project")).to_have_count(1)
    clinic = page.locator('section[data-project="clinic"]')
    expect(clinic.locator(".token-hidden")).to_have_text(
        "Inbox URL hidden: it is shown to users who may edit this project's DAGs or its token Variable.")
    expect(clinic.locator("code.inbox-url, code.curl")).to_have_count(0)
    page.goto(f"{airflow.url}/openfn/ui/receipt?id={airflow.clinic_id}")
    review = page.locator('.job-row[data-job="manual-review"]')
    review.get_by_role("button", name="Re-run").click()
    expect(review.locator(".answer")).to_have_text(
        "You may not start runs of DAG clinic.manual-review; ask an Airflow admin for the permission to trigger it.")
    page.context.close()


def test_operator_sees_the_inbox_url_and_reruns_in_their_own_name(browser, airflow):
    page = logged_in(browser, airflow, "operator")
    page.goto(f"{airflow.url}/openfn/ui/projects")
    expect(page.locator("section.project")).to_have_count(1)
    expect(page.locator('section[data-project="clinic"] code.inbox-url')).to_contain_text("/openfn/inbox/")
    page.goto(f"{airflow.url}/openfn/ui/receipt?id={airflow.clinic_id}")
    review = page.locator('.job-row[data-job="manual-review"]')
    review.get_by_role("button", name="Re-run").click()
    expect(review.locator(".answer")).to_contain_text("Started run message__")
    expect(page.locator("#runs .requested-by")).to_have_text("asked by operator")
    page.context.close()


def test_operator_erases_a_messages_body_and_headers_from_its_receipt(browser, airflow):
    message_id = airflow.send("clinic", {**CASE, "case_id": "ui-erase"})
    page = logged_in(browser, airflow, "operator")
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{airflow.url}/openfn/ui/receipt?id={message_id}")
    expect(page.locator("pre.json")).to_contain_text('"case_id": "ui-erase"')
    page.get_by_role("button", name="Erase body and headers").click()
    expect(page.locator("#body .erased")).to_contain_text("Body and headers erased by operator")
    expect(page.locator("#headers")).to_have_text("No headers kept.")
    expect(page.locator("pre.json")).to_have_count(0)
    page.context.close()
