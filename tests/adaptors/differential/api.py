"""The local API both adaptors talk to in the differential suite: plain endpoints for http, an OpenMRS REST and
FHIR API with paging, and a FHIR server. Answers depend only on the request, so both sides get the same ones."""

from __future__ import annotations

import gzip
import json
import re
import time

from tests.adaptors.servers import Answer, Received, json_answer

XML = '<patients><patient id="1"><name>Ann</name></patient><patient id="2"><name>Bo</name></patient></patients>'
PEOPLE = [{"uuid": f"p{number}", "display": f"Person {number}"} for number in range(1, 8)]
OPENMRS_PAGE = 3
FHIR_PATIENTS = [{"resourceType": "Patient", "id": f"f{number}"} for number in range(1, 6)]
FHIR_JSON = "application/fhir+json"


def route(request: Received) -> Answer:
    path = request.path
    if path.startswith("/__case__/"):
        return Answer(204)
    if path.startswith("/api/"):
        time.sleep(0.003)  # language-common logs a response only when it took at least 1 ms
        return _plain(request, path[len("/api") :])
    if path.startswith("/openmrs/ws/rest/v1/"):
        return _openmrs(request, path[len("/openmrs/ws/rest/v1/") :])
    if path.startswith("/openmrs/ws/fhir2/R4/"):
        return _openmrs_fhir(request, path[len("/openmrs/ws/fhir2/R4/") :])
    if path.startswith("/fhir"):
        return _fhir(request, path[len("/fhir") :])
    return json_answer({"unknown": path}, 404)


def _plain(request: Received, path: str) -> Answer:
    status = re.fullmatch(r"/status/(\d+)", path)
    if status:
        return json_answer({"error": f"status {status[1]}"}, int(status[1]))
    fixed = {
        "/text": Answer(200, "plain words"),
        "/fhirjson": Answer(200, json.dumps({"resourceType": "Patient", "id": "1"}), {"Content-Type": FHIR_JSON}),
        "/vndjson": Answer(200, json.dumps({"data": [1]}), {"Content-Type": "application/vnd.api+json"}),
        "/charsetjson": Answer(200, json.dumps({"ok": 1}), {"Content-Type": "application/json; charset=utf-8"}),
        "/xml": Answer(200, XML, {"Content-Type": "application/xml"}),
        "/empty": Answer(204),
        "/notype": Answer(200, b"raw bytes"),
        "/emptyjson": Answer(200, b"", {"Content-Type": "application/json"}),
        "/badjson": Answer(200, "not json{", {"Content-Type": "application/json"}),
        "/redirect": Answer(302, None, {"Location": "/api/json"}),
        "/moved": Answer(301, None, {"Location": "/api/json"}),
        "/see-other": Answer(303, None, {"Location": "/api/json"}),
        "/temporary": Answer(307, None, {"Location": "/api/json"}),
        "/chain": Answer(302, None, {"Location": "/api/redirect"}),
        "/gzip": Answer(200, gzip.compress(json.dumps({"zipped": True}).encode()), {"Content-Type": "application/json", "Content-Encoding": "gzip"}),
        "/cookie": Answer(200, json.dumps({"ok": 1}), {"Content-Type": "application/json", "Set-Cookie": "session=s-1; Path=/; HttpOnly"}),
    }
    if path in fixed:
        return fixed[path]
    return json_answer({"ok": True, "method": request.method})


def _openmrs(request: Received, path: str) -> Answer:
    parts = [part for part in path.split("/") if part]
    if "status" in parts:
        return json_answer({"error": {"message": "Invalid Submission", "code": "400"}}, 400)
    if request.method == "DELETE":
        return Answer(204) if parts[-1] != "missing" else json_answer({"error": {"message": "Object not found"}}, 404)
    if request.method == "POST":
        return json_answer({"uuid": parts[1] if len(parts) > 1 else "new-1", "resource": parts[0], **request.json}, 201 if len(parts) == 1 else 200)
    if len(parts) >= 2:
        if parts[-1] == "missing":
            return json_answer({"error": {"message": "Object with given uuid doesn't exist"}}, 404)
        return json_answer({"uuid": parts[-1], "resource": "/".join(parts[:-1]), "v": request.args.get("v")})
    if parts[0] == "patient":
        people = [p for p in PEOPLE if request.args.get("q", "").lower() in p["display"].lower()]
        start = int(request.args.get("startIndex", 0))
        size = int(request.args.get("limit", OPENMRS_PAGE))
        page = people[start : start + size]
        links = [{"rel": "next", "uri": f"patient?startIndex={start + size}"}] if start + size < len(people) else []
        return json_answer({"results": page, **({"links": links} if links else {})})
    matches = {"none": 0, "many": 2}.get(request.args.get("q") or request.args.get("identifier"), 1)
    return json_answer({"results": [{"uuid": f"found-{n}"} for n in range(1, matches + 1)]})


def _openmrs_fhir(request: Received, path: str) -> Answer:
    offset = int(request.args.get("_getpagesoffset", 0))
    count = int(request.args.get("_count", 2))
    entries = [{"resource": patient} for patient in FHIR_PATIENTS[offset : offset + count]]
    host = request.headers.get("host")
    links = [{"relation": "self", "url": f"http://{host}/openmrs/ws/fhir2/R4/{path}"}]
    if offset + count < len(FHIR_PATIENTS):
        links.append({"relation": "next", "url": f"http://{host}/openmrs/ws/fhir2/R4?_getpages=p1&_getpagesoffset={offset + count}&_count={count}&_bundletype=searchset"})
    return json_answer({"resourceType": "Bundle", "type": "searchset", "total": len(FHIR_PATIENTS), "link": links, "entry": entries})


def _fhir(request: Received, path: str) -> Answer:
    parts = [part for part in path.split("/") if part]
    headers = {"Content-Type": FHIR_JSON}
    if not parts and request.method == "POST":
        entries = [{"response": {"status": "201 Created", "location": (e.get("request") or {}).get("url")}} for e in request.json.get("entry", [])]
        return Answer(200, json.dumps({"resourceType": "Bundle", "type": "transaction-response", "entry": entries}), headers)
    if parts and parts[-1] == "missing" or parts[:1] == ["Unknown"]:
        outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found"}]}
        return Answer(404, json.dumps(outcome), headers)
    if request.method == "POST":
        return Answer(201, json.dumps({**request.json, "id": "new-1"}), headers)
    if request.method == "PUT":
        return Answer(200, json.dumps({**request.json, "meta": {"versionId": "2"}}), headers)
    if request.method == "DELETE":
        return Answer(200, json.dumps({"resourceType": "OperationOutcome", "issue": []}), headers)
    if len(parts) >= 2:
        return Answer(200, json.dumps({"resourceType": parts[0], "id": parts[1]}), headers)
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": 1, "query": request.query,
              "entry": [{"resource": {"resourceType": parts[0] if parts else "Bundle", "id": "s1"}}]}  # fmt: skip
    return Answer(200, json.dumps(bundle), headers)
