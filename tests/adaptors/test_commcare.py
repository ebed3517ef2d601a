"""The commcare adaptor against a local CommCare HQ: Data API paging, XForm submission, bulk upload."""

from __future__ import annotations

import io

import pytest

from openfn.adaptors import commcare
from openfn.adaptors._commcare_files import xform
from openfn.adaptors._http_client import HttpError
from openfn.adaptors.common import data_value
from openfn.errors import OperationArgumentError
from tests.adaptors.fake_apis import COMMCARE_KEY, COMMCARE_USER, CommCare, basic, commcare_lookup_tables
from tests.adaptors.helpers import exact
from tests.adaptors.servers import ApiServer


@pytest.fixture(scope="module")
def hq():
    fake = CommCare()
    with ApiServer(commcare_lookup_tables(fake)) as server:
        server.fake = fake
        yield server


@pytest.fixture
def state(hq):
    hq.clear()
    config = {"hostUrl": hq.url, "domain": "demo-project", "appId": "app-123", "username": COMMCARE_USER, "apiKey": COMMCARE_KEY}
    return {"data": {"form": {"name": "Ann", "age": 31}}, "references": [], "configuration": config}


def test_get_reads_every_page_following_meta_next(hq, state):
    result = commcare.get("case/", {"type": "patient"})(state)
    assert [r.args for r in hq.received] == [
        {"type": "patient"},
        {"type": "patient", "offset": "2", "limit": "2"},
        {"type": "patient", "offset": "4", "limit": "2"},
    ]
    assert hq.received[0].path == "/a/demo-project/api/v0.5/case/"
    assert hq.received[0].headers["authorization"] == f"ApiKey {COMMCARE_USER}:{COMMCARE_KEY}"
    assert [case["case_id"] for case in result["data"]] == ["c1", "c2", "c3", "c4", "c5"]
    assert result["response"]["meta"] == {"limit": 2, "next": None, "offset": 4, "previous": None, "total_count": 5}
    assert result["references"] == [{"form": {"name": "Ann", "age": 31}}]


def test_get_with_an_offset_reads_one_page_and_calls_back_per_page(hq, state):
    pages = []

    def seen(page_state):
        pages.append([c["case_id"] for c in page_state["data"]])
        return page_state

    assert [c["case_id"] for c in commcare.get("case/", {"offset": 2, "limit": 2}, seen)(state)["data"]] == ["c3", "c4"]
    commcare.get("case/", {}, seen)(state)
    assert pages == [["c3", "c4"], ["c1", "c2"], ["c3", "c4"], ["c5"]]


def test_password_is_basic_auth_when_there_is_no_api_key(hq, state):
    del state["configuration"]["apiKey"]
    state["configuration"]["password"] = COMMCARE_KEY
    commcare.get("case/", {"offset": 0})(state)
    assert hq.received[0].headers["authorization"] == basic(COMMCARE_USER, COMMCARE_KEY)


def test_submit_posts_an_xform(hq, state):
    form = {"@": {"xmlns": "http://openrosa.org/formdesigner/referral", "uiVersion": "1"}, "name": data_value("form.name"), "age": data_value("form.age"),
            "meta": {"instanceID": "uuid:1"}, "visit": [{"day": 1}, {"day": 2}], "consent": True}
    result = commcare.submit(form)(state)
    (request,) = hq.received
    assert (request.method, request.path, request.headers["content-type"]) == ("POST", "/a/demo-project/receiver/app-123/", "text/xml")
    assert request.body.decode() == (
        "<?xml version='1.0'?><data xmlns=\"http://openrosa.org/formdesigner/referral\" uiVersion=\"1\"><name>Ann</name><age>31</age>"
        "<meta><instanceID>uuid:1</instanceID></meta><visit><day>1</day></visit><visit><day>2</day></visit><consent>true</consent></data>"
    )
    assert result["data"].startswith('<OpenRosaResponse xmlns="http://openrosa.org/http/response"><message nature="submit_success">')
    assert result["response"]["statusCode"] == 201


def test_xml_escapes_text_and_attributes():
    assert xform({"@": {"note": 'a "b" <c>'}, "#": "x & y"}) == "<?xml version='1.0'?><data note=\"a &quot;b&quot; &lt;c&gt;\">x &amp; y</data>"


def test_bulk_case_upload_sends_an_xlsx_workbook(hq, state):
    from openpyxl import load_workbook

    rows = [{"external_id": "e1", "name": "Ann"}, {"external_id": "e2", "name": "Bo", "phone": "0700"}]
    result = commcare.bulk("case-data", rows, {"case_type": "patient", "search_field": "external_id", "create_new_cases": "on"})(state)
    (request,) = hq.received
    assert request.path == "/a/demo-project/importer/excel/bulk_upload_api/"
    upload = hq.fake.uploads[-1]
    assert {key: value for key, value in upload.items() if key != "file"} == {
        "case_type": (None, b"patient"), "search_field": (None, b"external_id"), "create_new_cases": (None, b"on"),
    }
    filename, content = upload["file"]
    sheet = load_workbook(io.BytesIO(content)).active
    assert filename == "data.xlsx"
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [["external_id", "name", "phone"], ["e1", "Ann", None], ["e2", "Bo", "0700"]]
    assert result["data"] == {"message": "success", "code": 200}


def test_bulk_lookup_tables_send_one_sheet_per_table(hq, state):
    from openpyxl import load_workbook

    tables = {"types": [{"DELETE(Y/N)": "N", "table_id": "fruit", "is_global?": "yes", "field 1": "name"}], "fruit": [{"UID": "", "DELETE(Y/N)": "N", "field: name": "Orange"}]}
    result = commcare.bulk("lookup-table", tables, {"replace": False})(state)
    assert hq.received[-1].path == "/a/demo-project/fixtures/fixapi/"
    upload = hq.fake.uploads[-1]
    book = load_workbook(io.BytesIO(upload["file-to-upload"][1]))
    assert book.sheetnames == ["types", "fruit"]
    assert [list(row) for row in book["fruit"].iter_rows(values_only=True)] == [["UID", "DELETE(Y/N)", "field: name"], [None, "N", "Orange"]]
    assert upload["replace"] == (None, b"false")
    assert result["data"] == {"message": "Successfully uploaded lookup tables", "code": 200}


def test_unknown_resource_is_an_http_error(hq, state):
    with pytest.raises(HttpError, match=r'^GET to http://127\.0\.0\.1:\d+/a/demo-project/api/v0\.5/nothing returned 404: Not Found; response body: \{"error":"Resource /a/demo-project/api/v0\.5/nothing not found"\}'):
        commcare.get("nothing")(state)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: commcare.bulk("cases", []), "bulk() got type str 'cases'. Fix: Use one of: case-data, lookup-table."),
        (lambda: commcare.submit("<data/>"), "submit() needs the form as a dict, got str '<data/>'. Fix: Pass a dict such as {'@': {'xmlns': '...'}, 'question1': 'answer'}."),
        (lambda: commcare.get("case", {}, "not a function"), "get() needs a function for `callback`, got str 'not a function'. Fix: Pass an operation such as fn(...), or a function that takes the state dict."),
    ],
)
def test_argument_errors_when_built(build, message):
    with pytest.raises(OperationArgumentError, match=exact(message)):
        build()
