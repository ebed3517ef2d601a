"""language-fhir 5 (generic FHIR) against our fhir adaptor (language-fhir-4's operations): the same requests
spelled with each adaptor's operations (language-fhir's get(path) is our read/request, its create(type,
resource) our create(resource), its createTransactionBundle our upload_bundle)."""

from tests.adaptors.differential.dsl import Case, call

CONFIG = {"baseUrl": "http://SERVER", "apiPath": "fhir", "username": "u", "password": "p"}
PATIENT = {"resourceType": "Patient", "name": [{"family": "Doe"}]}


def c(id, ops, py_ops=None, configuration=CONFIG, **extra):
    return Case(f"fhir-{id}", "fhir", ops, {"data": {"id": "7"}, "references": [], "configuration": configuration}, py_ops=py_ops, **extra)


CASES = [
    c("read", [call("get", "Patient/7")], [call("read", "Patient/7")]),
    c("read-reference", [call("get", call("dataValue", "id"))], [call("request", "GET", call("dataValue", "id"))]),
    c("search-bundle", [call("get", "Patient", {"name": "Doe", "_count": 2})], [call("request", "GET", "Patient", {"query": {"name": "Doe", "_count": 2}})]),
    c("read-missing", [call("get", "Patient/missing")], [call("read", "Patient/missing")]),
    c("bearer", [call("get", "Patient/7")], [call("read", "Patient/7")], configuration={"baseUrl": "http://SERVER", "apiPath": "fhir", "access_token": "t"}),
    c("create", [call("create", "Patient", PATIENT)], [call("create", PATIENT)]),
    c("post", [call("post", "Patient", PATIENT)], [call("request", "POST", "Patient", {"body": PATIENT})]),
    c("request-put", [call("request", "PUT", "Patient/7", {"body": PATIENT})], [call("update", "Patient/7", PATIENT)]),
    c("request-delete", [call("request", "DELETE", "Patient/7")], [call("delete", "Patient/7")]),
    c("post-404", [call("post", "Unknown", {})], [call("request", "POST", "Unknown", {"body": {}})]),
    c("absolute-url", [call("get", "http://other.example/fhir/Patient/7")], [call("read", "http://other.example/fhir/Patient/7")]),
    c("transaction-bundle", [call("createTransactionBundle", [{"resource": PATIENT, "request": {"method": "POST", "url": "Patient"}}])],
      [call("uploadBundle", {"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": PATIENT, "request": {"method": "POST", "url": "Patient"}}]})]),
    c("default-api-path", [call("get", "Patient/7")], [call("read", "Patient/7")], configuration={"baseUrl": "http://SERVER/fhir", "username": "u", "password": "p"},
      deliberate="D6", py_expect={"state": {"response": {"url": "http://SERVER/fhir/fhir/Patient/7"}}}),
]
