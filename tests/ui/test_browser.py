"""The OpenFn pages in a real Airflow (api-server, scheduler, dag-processor on PostgreSQL), driven through
Debian's Chromium: log in, open the nav entry, see a posted message with its job-states, open its receipt,
re-run a job (and meet the 10-second rule), reprocess from the list, run a cron job now, follow Airflow's
colour mode, and render a body holding <script> as text.

Screenshots of every page (light and dark, 1280 and 390 px wide) are taken on each run; with
OPENFN_UPDATE_SCREENSHOTS=1 they replace the ones in docs/screenshots/.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import time

import httpx
import pytest

from tests.support.airflow_env import REPO
from tests.support.airflow_server import AirflowDeployment
from tests.support.templates import migrated_database

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.postgres]
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
SCREENSHOTS = REPO / "docs" / "screenshots"
CASE = {"form": "case_referral", "case_id": "c-17", "amount": 3, "district": "Kisumu"}
SCRIPT_BODY = {"name": "john doe", "note": "<script>window.parent.__openfn_xss = 1</script>",
               "photo": "<img src=x onerror=\"window.parent.__openfn_xss = 2\">"}  # fmt: skip
SLOW = 150_000  # ms: a run goes through the scheduler and a task process


@pytest.fixture(scope="module")
def airflow(postgres_server, tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: run scripts/system-deps.sh")
    root = tmp_path_factory.mktemp("ui-browser")
    jobs = root / "jobs"
    shutil.copytree(REPO / "include" / "jobs" / "demo", jobs / "demo")
    shutil.copytree(REPO / "tests" / "fixtures" / "inbox" / "clinic", jobs / "clinic")
    deployment = AirflowDeployment(
        root / "home",
        jobs_dir=jobs,
        db_uri=migrated_database(postgres_server, "airflow_ui_browser"),
        migrated=True,
    )
    try:
        deployment.start()
        deployment.wait_for_dags(["clinic.referral", "clinic.payment", "clinic.payment-failed", "clinic.payment-receipt",
                                  "demo.register-patient", "demo.share-record", "demo.weekly-export", "demo.referral-workflow"])  # fmt: skip
        yield deployment
    finally:
        deployment.stop()


def inbox_url(airflow: AirflowDeployment, project: str) -> str:
    reply = airflow.api("GET", "/openfn/api/projects")
    return next(p["inbox_url"] for p in reply.json()["projects"] if p["name"] == project)


def send(airflow: AirflowDeployment, project: str, body: dict) -> str:
    reply = httpx.post(inbox_url(airflow, project), json=body, timeout=30)
    assert reply.status_code == 202, reply.text
    return reply.json()["meta"]["message_id"]


@pytest.fixture(scope="module")
def clinic_message(airflow):
    """A case: its referral succeeds, its payment fails (the gateway is closed), the fail job alerts."""
    return send(airflow, "clinic", CASE)


@pytest.fixture(scope="module")
def script_message(airflow):
    return send(airflow, "demo", SCRIPT_BODY)


@pytest.fixture(scope="module")
def workflow_message(airflow):
    """A referral the demo workflow's webhook received: its steps ran, one of them skipped."""
    reply = httpx.post(workflow_webhook(airflow), json={"patient": "achieng", "clinic": "Kisumu East"}, timeout=30)
    assert reply.status_code in (200, 201, 202), reply.text
    return reply.json()["meta"]["message_id"]


@pytest.fixture(scope="module")
def browser(airflow):
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def session_state(browser, airflow):
    """Log in through Airflow's login page once; later pages reuse the session cookie."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{airflow.url}/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "admin")
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name=re.compile("OpenFn Inbox"))).to_be_visible(timeout=60_000)
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture
def page(browser, session_state):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, storage_state=session_state)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def frame(page):
    return page.frame_locator('iframe[title="OpenFn Inbox"]')


def open_inbox(page, airflow) -> None:
    page.goto(f"{airflow.url}/")
    page.get_by_role("link", name=re.compile("OpenFn Inbox")).click()
    expect(page).to_have_url(re.compile(r"/plugin/openfn-inbox"))
    expect(frame(page).locator("#count")).to_contain_text("message", timeout=30_000)


def test_nav_entry_opens_the_inbox_inside_airflow(page, airflow):
    open_inbox(page, airflow)
    expect(frame(page).get_by_role("link", name="Projects")).to_be_visible()
    expect(frame(page).locator("#filters select[name=state] option")).to_have_text(["Any job-state", "success", "failure", "in progress"])


def test_posted_message_is_listed_with_one_chip_per_job(page, airflow, clinic_message):
    open_inbox(page, airflow)
    row = frame(page).locator(f'tr[data-id="{clinic_message}"]')
    expect(row.locator(".preview")).to_contain_text(re.compile(r'"case_id": ?"c-17"'))  # PostgreSQL's jsonb text
    expect(row.locator('.chip[title="referral: success"]')).to_be_visible(timeout=SLOW)
    expect(row.locator('.chip[title="payment: failure"]')).to_be_visible(timeout=SLOW)
    expect(row.locator('.chip[title="payment-failed: success"]')).to_be_visible(timeout=SLOW)


def test_job_state_filter_and_search_narrow_the_list(page, airflow, clinic_message):
    page.goto(f"{airflow.url}/plugin/openfn-inbox/openfn/ui/?state=failure&q=Kisumu")
    rows = frame(page).locator("#rows tr[data-id]")
    expect(rows).to_have_count(1, timeout=30_000)
    expect(rows.first).to_have_attribute("data-id", clinic_message)
    page.goto(f"{airflow.url}/plugin/openfn-inbox/openfn/ui/?q=no-such-text-anywhere")
    expect(frame(page).locator("#rows")).to_contain_text("No message matches these filters.")


def test_receipt_rerun_adds_a_run_and_changes_the_job_state(page, airflow, clinic_message):
    open_inbox(page, airflow)
    frame(page).locator(f'tr[data-id="{clinic_message}"] a.open').click()
    expect(page).to_have_url(re.compile(rf"/plugin/openfn-inbox/openfn/ui/receipt\?id={clinic_message}"))
    receipt = frame(page)
    expect(receipt.locator("#title")).to_have_text(f"Message {clinic_message}")
    expect(receipt.locator("pre.json")).to_contain_text('"district": "Kisumu"')
    expect(receipt.locator("#runs tr[data-run-id]")).to_have_count(3, timeout=SLOW)  # referral, payment, payment-failed
    payment = receipt.locator('.job-row[data-job="payment"]')
    expect(payment.locator(".chip")).to_have_text("failure", timeout=SLOW)
    failed = receipt.locator("tr.result-row", has=receipt.locator(".run-error"))  # the error first, then output and log
    expect(failed.locator(".run-error")).to_contain_text("RuntimeError: The payment gateway is closed.", timeout=30_000)
    failed.locator("details.result-output summary").click()
    expect(failed.locator("details.result-output pre.output")).to_contain_text('"district": "Kisumu"')
    failed.locator("details.result-log summary").click()
    expect(failed.locator("details.result-log pre.log")).to_contain_text("The payment gateway is closed.")

    assert airflow.api("POST", "/api/v2/variables", json={"key": "clinic_gateway_open", "value": "yes"}).status_code == 201
    time.sleep(max(0.0, 10.5 - _seconds_since_first_run(airflow, clinic_message)))  # the intake run counts too
    payment.get_by_role("button", name="Re-run").click()
    expect(payment.locator(".answer")).to_contain_text("Started run message__", timeout=30_000)
    payment.get_by_role("button", name="Re-run").click()  # at once: the 10-second rule answers
    expect(payment.locator(".answer")).to_contain_text("the 10-second rule allows one run of payment per message every 10 seconds")
    expect(payment.locator("button")).to_have_text(re.compile(r"Retry in \d+ s"))

    expect(receipt.locator("#runs tr[data-run-id]")).to_have_count(5, timeout=SLOW)  # + the re-run, + payment-receipt
    expect(payment.locator(".chip")).to_have_text("success", timeout=SLOW)
    expect(receipt.locator('#runs tr[data-run-id^="flow__"] .chip')).to_have_text("success", timeout=SLOW)
    run_link = receipt.get_by_role("link", name="Run", exact=True).first
    href = run_link.get_attribute("href")
    run_link.click()  # Airflow's own run page, in Airflow's window (not inside the frame)
    expect(page).to_have_url(href, timeout=30_000)


def _seconds_since_first_run(airflow, message_id: str) -> float:
    """Seconds since the message's runs were queued (they were recorded, for the 10-second rule, before)."""
    runs = airflow.api("GET", f"/openfn/api/messages/{message_id}").json()["runs"]
    first = min(datetime.datetime.fromisoformat(run["queued_at"]) for run in runs if run["queued_at"])
    return (datetime.datetime.now(datetime.timezone.utc) - first).total_seconds()


def test_message_body_with_script_is_shown_as_text(page, airflow, script_message):
    page.goto(f"{airflow.url}/plugin/openfn-inbox/openfn/ui/receipt?id={script_message}")
    receipt = frame(page)
    expect(receipt.locator("pre.json")).to_contain_text('"note": "<script>window.parent.__openfn_xss = 1</script>"')
    expect(receipt.locator("pre.json")).to_contain_text("onerror=")
    assert receipt.locator("pre.json script, pre.json img").count() == 0
    page.goto(f"{airflow.url}/plugin/openfn-inbox")
    expect(frame(page).locator(f'tr[data-id="{script_message}"] .preview')).to_contain_text("<script>")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__openfn_xss") is None
    assert page.dialogs == []


def test_bulk_reprocess_from_a_selection_in_the_list(page, airflow, script_message):
    open_inbox(page, airflow)
    row = frame(page).locator(f'tr[data-id="{script_message}"]')
    expect(row.locator('.chip[title="share-record: success"]')).to_be_visible(timeout=SLOW)
    time.sleep(max(0.0, 10.5 - _seconds_since_first_run(airflow, script_message)))
    row.locator("td.pick input").check()
    button = frame(page).locator("#reprocess")
    expect(button).to_have_text("Reprocess selected (1)")
    button.click()
    expect(button).to_have_text("Confirm: run matching jobs again for 1 message")
    button.click()
    expect(frame(page).locator("#notice")).to_have_text("Started 1 run.")
    expect(row.locator('.chip[title="share-record: in progress"], .chip[title="share-record: success"]')).to_be_visible()


def workflow_webhook(airflow) -> str:
    (demo,) = [p for p in airflow.api("GET", "/openfn/api/projects").json()["projects"] if p["name"] == "demo"]
    (workflow,) = demo["workflows"]
    (hook,) = workflow["triggers"]
    return hook["inbox_url"]


def test_a_workflow_run_shows_its_steps_and_retries_from_a_step(page, airflow):
    reply = httpx.post(workflow_webhook(airflow), json={"patient": "ana"}, timeout=30)
    message_id = reply.json()["meta"]["message_id"]
    page.goto(f"{airflow.url}/plugin/openfn-inbox/openfn/ui/receipt?id={message_id}")
    receipt = frame(page)
    workflow = receipt.locator('.job-row[data-job="referral-workflow"]')
    expect(workflow.locator(".chip")).to_have_text("success", timeout=SLOW)
    steps = receipt.locator("tr.steps-row")
    expect(steps.locator('li[data-step="check-referral"] .chip')).to_have_text("success")
    expect(steps.locator('li[data-step="report-problem"] .chip')).to_have_text("skipped")
    check = steps.locator('li[data-step="check-referral"]')
    check.locator("details.result-output summary").click()
    expect(check.locator("details.result-output pre.output")).to_contain_text('"patient": "ana"')
    register = steps.locator('li[data-step="register-referral"]')
    register.get_by_role("button", name="Retry from here").click()
    expect(register.locator(".answer")).to_have_text("Runs again: register-referral, alert-clinician.", timeout=30_000)
    expect(register).to_contain_text("try 2", timeout=SLOW)
    expect(register.locator(".chip")).to_have_text("success", timeout=SLOW)
    expect(steps.locator('li[data-step="check-referral"]')).not_to_contain_text("try 2")


def test_projects_page_shows_the_inbox_url_and_runs_a_cron_job_now(page, airflow):
    page.goto(f"{airflow.url}/plugin/openfn-inbox/openfn/ui/projects")
    projects = frame(page)
    demo = projects.locator('section[data-project="demo"]')
    expect(demo.locator("code.inbox-url")).to_have_text(inbox_url(airflow, "demo"))
    expect(demo.locator("code.curl")).to_have_text(f"curl -X POST -H 'Content-Type: application/json' -d '{{\"formID\":\"patient_registration_v7\"}}' '{inbox_url(airflow, 'demo')}'")
    workflow = demo.locator('.workflow[data-workflow="referral-workflow"]')
    expect(workflow.locator("code.webhook-url")).to_have_text(workflow_webhook(airflow))
    expect(workflow.locator(".step")).to_have_count(4)
    weekly = demo.locator('tr[data-dag-id="demo.weekly-export"]')
    expect(weekly).to_contain_text("0 23 * * 5 (Africa/Nairobi)")
    expect(weekly.locator("time")).to_have_attribute("datetime", re.compile(r"T23:00:00\+03:00$"))
    expect(weekly).to_contain_text("nothing saved yet")
    weekly.get_by_role("button", name="Run now").click()
    expect(weekly.locator(".answer")).to_contain_text("Started manual__", timeout=30_000)
    run_id = weekly.locator(".answer a").text_content()
    airflow.wait_for_run_state("demo.weekly-export", run_id)
    expect(weekly.locator(".size")).to_contain_text("bytes", timeout=30_000)  # refreshed every 10 s


def test_pages_follow_airflows_colour_mode(browser, session_state, airflow):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, storage_state=session_state, color_scheme="dark")
    page = context.new_page()
    page.goto(f"{airflow.url}/plugin/openfn-inbox")
    expect(frame(page).locator("html")).to_have_attribute("data-theme", "dark", timeout=30_000)
    page.evaluate("document.documentElement.classList.replace('dark', 'light')")  # as Airflow's theme switch does
    expect(frame(page).locator("html")).to_have_attribute("data-theme", "light")
    context.close()


PAGES = {"inbox": "", "projects": "projects"}


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots_of_every_page(browser, session_state, airflow, clinic_message, workflow_message, mode, width, tmp_path):
    context = browser.new_context(viewport={"width": width, "height": 1000 if width > 400 else 844},
                                  storage_state=session_state, color_scheme=mode)  # fmt: skip
    page = context.new_page()
    taken = []
    receipts = {"receipt": f"receipt?id={clinic_message}", "receipt-workflow": f"receipt?id={workflow_message}"}
    for name, path in {**PAGES, **receipts}.items():
        page.goto(f"{airflow.url}/plugin/openfn-inbox/openfn/ui/{path}")
        content = frame(page)
        expect(content.locator("html")).to_have_attribute("data-theme", mode, timeout=30_000)
        expect(content.locator({"inbox": "#rows tr[data-id]", "projects": "section.project"}.get(name, "#runs tr[data-run-id]")).first).to_be_visible(timeout=30_000)
        if name == "projects":  # the demo project has the cron job, with its next run and saved state
            content.locator('section[data-project="demo"]').evaluate("section => section.scrollIntoView({block: 'start'})")
        if name == "receipt":  # the failed payment: its error, its state at failure and its task log
            failed = content.locator("tr.result-row", has=content.locator(".run-error")).first
            expect(failed).to_be_visible(timeout=SLOW)
            failed.locator("details.result-log summary").click()
            failed.evaluate("row => row.scrollIntoView({block: 'center'})")
        if name == "receipt-workflow":  # each step with its result and "Retry from here"
            expect(content.locator('.job-row[data-job="referral-workflow"] .chip')).to_have_text("success", timeout=SLOW)
            content.locator('li[data-step="check-referral"] details.result-output summary').click()
            content.locator("tr.steps-row").evaluate("row => row.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(300)
        file = tmp_path / f"{name}-{mode}-{width}.png"
        page.screenshot(path=str(file))
        assert file.stat().st_size > 10_000
        taken.append(file)
    context.close()
    if os.environ.get("OPENFN_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for file in taken:
            shutil.copy(file, SCREENSHOTS / file.name)


def test_collections_page_lists_browses_searches_and_shows_a_value(page, airflow):
    from openfn.inbox.store import collections as store
    from openfn.inbox.store.database import Database

    database = Database(airflow.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    try:
        (cache,) = store.ensure(database, "clinic", ["referral-cache"], declared=True)
        store.put_items(database, cache, [("case-1", '{"district": "Kisumu"}'), ("case-2", '{"district": "Siaya"}'), ("other", "[1]")])
    finally:
        database.dispose()
    page.goto(f"{airflow.url}/plugin/openfn-inbox/openfn/ui/collections")
    collections = frame(page)
    row = collections.locator('tr[data-project="clinic"][data-name="referral-cache"]')
    expect(row.locator("td.items")).to_have_text("3")
    expect(row).to_contain_text("declared in the project file")
    row.get_by_role("button", name="Browse").click()
    expect(collections.locator("#items tbody tr")).to_have_count(3)
    collections.locator("#pattern").fill("case-*")
    collections.get_by_role("button", name="Search").click()
    expect(collections.locator("#items tbody tr")).to_have_count(2)
    inner = next(f for f in page.frames if "/openfn/ui/collections" in f.url and "/plugin/" not in f.url)  # the iframe keeps what is open in its URL
    assert re.search(r"collections\?project=clinic&name=referral-cache&key=case-", inner.url), inner.url
    collections.get_by_role("link", name="case-2").click()
    expect(collections.locator("#value pre.json")).to_contain_text('"district": "Siaya"')
