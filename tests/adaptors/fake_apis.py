"""Test stand-ins for the APIs the adaptors talk to, each implementing the documented request and
response shapes that the adaptors and the example jobs use (paths, auth, paging, error bodies)."""

from __future__ import annotations

import base64
import itertools
import re

from tests.adaptors.servers import Answer, Received, json_answer

DHIS2_USER, DHIS2_PASSWORD, DHIS2_PAT = "admin", "district-7e1f", "d2pat_a1b2c3d4e5f6"
OPENMRS_USER, OPENMRS_PASSWORD = "admin", "Admin-123-secret"
COMMCARE_USER, COMMCARE_KEY = "chw@example.org", "cc-apikey-5f6e7d"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Dhis2:
    """DHIS2 Web API (v2.41): /api/<version>/<resource>, basic auth or `ApiToken <pat>`."""

    def __init__(self, version: str = "41") -> None:
        self.prefix = f"/api/{version}"
        self.data_elements = [{"id": "FTRrcoaog83", "code": "DE_1", "name": "Paracetamol"}]
        self.data_values = [
            {"dataElement": "f7n9E0hX8qk", "period": "2024W1", "orgUnit": "DiszpKrYNg8", "value": "12", "lastUpdated": "2024-01-03T10:00:00.000"},
            {"dataElement": "f7n9E0hX8qk", "period": "2024W2", "orgUnit": "DiszpKrYNg8", "value": "7", "lastUpdated": "2024-01-10T10:00:00.000"},
            {"dataElement": "Ix2HsbDMLea", "period": "2024W2", "orgUnit": "DiszpKrYNg8", "value": "3", "lastUpdated": "2024-01-10T11:00:00.000"},
        ]
        self.events = [{"event": f"ev{n}", "orgUnit": "DiszpKrYNg8", "status": "COMPLETED"} for n in range(1, 4)]

    def __call__(self, request: Received) -> Answer:
        if request.headers.get("authorization") not in (basic(DHIS2_USER, DHIS2_PASSWORD), f"ApiToken {DHIS2_PAT}"):
            return json_answer({"httpStatus": "Unauthorized", "httpStatusCode": 401, "status": "ERROR", "message": "Unauthorized"}, 401)
        if not request.path.startswith(self.prefix + "/"):
            return json_answer({"httpStatus": "Not Found", "httpStatusCode": 404, "status": "ERROR", "message": f"No endpoint {request.path}"}, 404)
        path = request.path[len(self.prefix) + 1:]
        method = request.method
        if path == "dataValueSets" and method == "GET":
            since = request.args.get("lastUpdated", "")
            values = [v for v in self.data_values if v["lastUpdated"] >= since and v["orgUnit"] == request.args.get("orgUnit")]
            return json_answer({"dataSet": request.args.get("dataSet"), "dataValues": values})
        if path == "dataValueSets" and method == "POST":
            count = len(request.json.get("dataValues", []))
            return json_answer({"httpStatus": "OK", "httpStatusCode": 200, "status": "OK", "response": {"responseType": "ImportSummary", "status": "SUCCESS", "importCount": {"imported": count, "updated": 0, "ignored": 0, "deleted": 0}}})
        if path == "dataElements" and method == "GET":
            code = request.args.get("filter", "").removeprefix("code:eq:")
            found = [e for e in self.data_elements if not code or e["code"] == code]
            return json_answer({"pager": {"page": 1, "total": len(found)}, "dataElements": found})
        if path == "dataElements" and method == "POST":
            uid = f"new{len(self.data_elements)}"
            self.data_elements.append({"id": uid, **request.json})
            return json_answer({"httpStatus": "Created", "httpStatusCode": 201, "status": "OK", "response": {"responseType": "ObjectReport", "uid": uid}}, 201, Location=f"{self.prefix}/dataElements/{uid}")
        found = re.fullmatch(r"dataElements/(\w+)", path)
        if found and method in ("PUT", "DELETE"):
            if not any(e["id"] == found.group(1) for e in self.data_elements):
                return json_answer({"httpStatus": "Not Found", "httpStatusCode": 404, "status": "ERROR", "message": f"DataElement with id {found.group(1)} could not be found."}, 404)
            return json_answer({"httpStatus": "OK", "httpStatusCode": 200, "status": "OK", "response": {"uid": found.group(1)}})
        if path == "tracker" and method == "POST":
            created = sum(len(v) for v in request.json.values() if isinstance(v, list))
            return json_answer({"status": "OK", "stats": {"created": created, "updated": 0, "deleted": 0, "ignored": 0, "total": created}})
        if path == "tracker/events" and method == "GET":
            page, size = int(request.args.get("page", 1)), int(request.args.get("pageSize", 50))
            return json_answer({"page": page, "pageSize": size, "events": self.events[(page - 1) * size: page * size]})
        return json_answer({"httpStatus": "Not Found", "httpStatusCode": 404, "status": "ERROR", "message": f"No endpoint {request.path}"}, 404)


class OpenMrs:
    """OpenMRS REST (/ws/rest/v1: `results`, `links` rel 'next', startIndex/limit) and FHIR2 (/ws/fhir2/R4)."""

    def __init__(self) -> None:
        self.patients = [{"uuid": f"p-{n}", "display": f"10{n}-X - Patient {n}"} for n in range(1, 6)]
        self.uuids = (f"new-{n}" for n in itertools.count(1))

    def __call__(self, request: Received) -> Answer:
        if request.headers.get("authorization") != basic(OPENMRS_USER, OPENMRS_PASSWORD):
            return json_answer({"error": {"message": "User is not logged in [Authentication required]", "code": "org.openmrs.api.APIAuthenticationException", "detail": "stack"}}, 401)
        path, method, args = request.path, request.method, request.args
        if path == "/openmrs/ws/rest/v1/patient" and method == "GET":
            if "q" not in args and "identifier" not in args:
                return json_answer({"error": {"message": "Invalid URL parameters", "code": "InvalidSearchException"}}, 400)
            matches = [p for p in self.patients if args.get("q", args.get("identifier", "")) in p["display"]]
            start, limit = int(args.get("startIndex", 0)), int(args.get("limit", 2))
            page = matches[start:start + limit]
            links = [{"rel": "next", "uri": f"http://x/openmrs/ws/rest/v1/patient?q={args.get('q')}&limit={limit}&startIndex={start + limit}"}] if start + limit < len(matches) else []
            return json_answer({"results": page, "links": links})
        found = re.fullmatch(r"/openmrs/ws/rest/v1/(patient|encounter)/([\w-]+)", path)
        if found and method == "GET":
            if found.group(1) == "patient" and not any(p["uuid"] == found.group(2) for p in self.patients):
                return json_answer({"error": {"message": f"Object with given uuid doesn't exist [null]", "code": "org.openmrs.module.webservices.rest.web.response.ObjectNotFoundException:24"}}, 404)
            return json_answer({"uuid": found.group(2), "display": f"{found.group(1)} {found.group(2)}"})
        if found and method == "POST":
            return json_answer({"uuid": found.group(2), **request.json})
        if path in ("/openmrs/ws/rest/v1/patient", "/openmrs/ws/rest/v1/encounter") and method == "POST":
            body = request.json
            invalid = "identifiers" if not body.get("identifiers") else "gender" if "person" in body and body["person"].get("gender") not in ("M", "F") else None
            if path.endswith("patient") and invalid:
                return json_answer({"error": {"message": "Invalid Submission", "code": "org.openmrs.module.webservices.validation.ValidationException", "globalErrors": [], "fieldErrors": {invalid: [{"code": f"Patient.{invalid}.required"}]}}}, 400)
            created = {"uuid": next(self.uuids), **body}
            if path.endswith("patient"):
                self.patients.append({"uuid": created["uuid"], "display": f"{body['identifiers'][0]['identifier']} - new patient"})
            return json_answer(created, 201)
        if path == "/openmrs/ws/rest/v1/encounter" and method == "GET":
            return json_answer({"results": [{"uuid": "e-1", "patient": args.get("patient")}]})
        if path == "/openmrs/ws/fhir2/R4/Patient" and method == "GET":
            offset = int(args.get("_getpagesoffset", 0))
            entries = [{"resource": {"resourceType": "Patient", "id": p["uuid"]}} for p in self.patients[offset:offset + 2]]
            link = [{"relation": "self", "url": "http://x/self"}]
            if offset + 2 < len(self.patients):
                link.append({"relation": "next", "url": f"http://x/openmrs/ws/fhir2/R4?_getpages=abc&_getpagesoffset={offset + 2}&_count=2&_bundletype=searchset"})
            return json_answer({"resourceType": "Bundle", "type": "searchset", "total": len(self.patients), "link": link, "entry": entries})
        return json_answer({"error": {"message": f"Unknown resource: {path}"}}, 404)


def multipart(request: Received) -> dict[str, tuple[str | None, bytes]]:
    """A multipart/form-data body as {field: (filename, bytes)}."""
    import email

    message = email.message_from_bytes(b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + request.body)
    return {part.get_param("name", header="content-disposition"): (part.get_filename(), part.get_payload(decode=True)) for part in message.get_payload()}


class CommCare:
    """CommCare HQ: Data API v0.5 (`meta`/`objects`, offset paging), XForm receiver, case bulk upload."""

    def __init__(self, domain: str = "demo-project", app_id: str = "app-123") -> None:
        self.domain, self.app_id = domain, app_id
        self.cases = [{"case_id": f"c{n}", "properties": {"case_type": "patient", "name": f"Person {n}"}} for n in range(1, 6)]
        self.forms: list[str] = []
        self.uploads: list[dict] = []

    def __call__(self, request: Received) -> Answer:
        auth = request.headers.get("authorization")
        if auth not in (f"ApiKey {COMMCARE_USER}:{COMMCARE_KEY}", basic(COMMCARE_USER, COMMCARE_KEY)):
            return Answer(401, "Unauthorized", {"Content-Type": "text/html"})
        base = f"/a/{self.domain}"
        if request.path == f"{base}/api/v0.5/case/" and request.method == "GET":
            offset, limit = int(request.args.get("offset", 0)), int(request.args.get("limit", 2))
            page = self.cases[offset:offset + limit]
            following = f"?limit={limit}&offset={offset + limit}" if offset + limit < len(self.cases) else None
            return json_answer({"meta": {"limit": limit, "next": following, "offset": offset, "previous": None, "total_count": len(self.cases)}, "objects": page})
        if request.path == f"{base}/receiver/{self.app_id}/" and request.method == "POST":
            if request.headers.get("content-type") != "text/xml":
                return Answer(400, "Bad content type", {"Content-Type": "text/plain"})
            self.forms.append(request.body.decode())
            reply = '<OpenRosaResponse xmlns="http://openrosa.org/http/response"><message nature="submit_success">   √   </message></OpenRosaResponse>'
            return Answer(201, reply, {"Content-Type": "text/xml; charset=utf-8"})
        if request.path == f"{base}/importer/excel/bulk_upload_api/" and request.method == "POST":
            self.uploads.append(multipart(request))
            return json_answer({"code": 200, "message": "success\n"})
        return json_answer({"error": f"Resource {request.path} not found"}, 404)

FHIR_TOKEN = "fhir-token-0c9d8e7f"


class Fhir:
    """A FHIR R4 server under /fhir (HAPI-like paging: absolute `next` links with _getpages)."""

    def __init__(self) -> None:
        self.patients = {str(n): {"resourceType": "Patient", "id": str(n), "name": [{"family": f"F{n}"}]} for n in range(1, 6)}
        self.bundles: list[dict] = []

    def outcome(self, status: int, text: str) -> Answer:
        return Answer(status, {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "processing", "diagnostics": text}]}, {"Content-Type": "application/fhir+json"})

    def fhir(self, body: dict, status: int = 200, **headers: str) -> Answer:
        return Answer(status, body, {"Content-Type": "application/fhir+json;charset=utf-8", **headers})

    def __call__(self, request: Received) -> Answer:
        if request.headers.get("authorization") != f"Bearer {FHIR_TOKEN}":
            return self.outcome(401, "Missing or invalid bearer token")
        if request.headers.get("accept") != "application/fhir+json":
            return self.outcome(406, "Accept application/fhir+json")
        origin = f"http://{request.headers['host']}"
        path, method, args = request.path, request.method, request.args
        if (path == "/fhir/Patient" and method == "GET") or (path == "/fhir" and method == "GET" and "_getpages" in args):
            offset, count = int(args.get("_getpagesoffset", 0)), int(args.get("_count", 2))
            matches = [p for p in self.patients.values() if args.get("family", "") in p["name"][0]["family"]]
            link = [{"relation": "self", "url": f"{origin}{path}"}]
            if offset + count < len(matches):
                link.append({"relation": "next", "url": f"{origin}/fhir?_getpages=abc&_getpagesoffset={offset + count}&_count={count}&_bundletype=searchset"})
            entries = [{"fullUrl": f"{origin}/fhir/Patient/{p['id']}", "resource": p} for p in matches[offset:offset + count]]
            return self.fhir({"resourceType": "Bundle", "type": "searchset", "total": len(matches), "link": link, "entry": entries})
        if path == "/fhir/Patient" and method == "POST":
            if request.headers.get("content-type") != "application/fhir+json":
                return self.outcome(415, "Content-Type must be application/fhir+json")
            resource = {**request.json, "id": str(len(self.patients) + 1), "meta": {"versionId": "1"}}
            self.patients[resource["id"]] = resource
            return self.fhir(resource, 201, Location=f"{origin}/fhir/Patient/{resource['id']}/_history/1")
        found = re.fullmatch(r"/fhir/Patient/(\w+)", path)
        if found and method == "GET":
            return self.fhir(self.patients[found.group(1)]) if found.group(1) in self.patients else self.outcome(404, f"Resource Patient/{found.group(1)} is not known")
        if found and method == "PUT":
            existed = found.group(1) in self.patients
            self.patients[found.group(1)] = request.json
            return self.fhir(request.json, 200 if existed else 201)
        if found and method == "DELETE":
            self.patients.pop(found.group(1), None)
            return self.fhir({"resourceType": "OperationOutcome", "issue": [{"severity": "information", "code": "informational", "diagnostics": "Successfully deleted 1 resource(s)"}]})
        if path in ("/fhir", "/fhir/") and method == "POST":  # a FHIR server takes its base with or without the slash
            bundle = request.json
            self.bundles.append(bundle)
            responses = [{"response": {"status": "201 Created", "location": entry["request"]["url"]}} for entry in bundle["entry"]]
            return self.fhir({"resourceType": "Bundle", "type": "transaction-response", "entry": responses})
        return self.outcome(404, f"Unknown path {path}")


def commcare_lookup_tables(hq: CommCare):
    """Extend a CommCare stand-in with the lookup table upload API (/a/<domain>/fixtures/fixapi/)."""
    route = hq.__call__

    def with_fixtures(request: Received) -> Answer:
        if request.path == f"/a/{hq.domain}/fixtures/fixapi/" and request.method == "POST" and request.headers.get("authorization"):
            hq.uploads.append(multipart(request))
            return json_answer({"code": 200, "message": "Successfully uploaded lookup tables\n"})
        return route(request)

    return with_fixtures
