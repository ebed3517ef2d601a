"""language-openmrs 5: the behaviours of OpenFn's tests for get (paging, limit, max, singleton, query, slashes),
create, update, upsert, destroy and fhir.get."""

from tests.adaptors.differential.dsl import Case, call

ALL = [{"uuid": f"p{n}", "display": f"Person {n}"} for n in range(1, 8)]  # the local API's patients
CONFIG = {"instanceUrl": "http://SERVER/openmrs", "username": "admin", "password": "Admin123"}


def c(id, ops, **extra):
    return Case(f"openmrs-{id}", "openmrs", ops, {"data": {"uuid": "p3", "person": {"gender": "F"}}, "references": [], "configuration": CONFIG}, **extra)


CASES = [
    c("get-by-uuid", [call("get", "patient/p1")]),
    c("get-singleton", [call("get", "patient", {"singleton": True})]),
    c("get-all-pages", [call("get", "patient")], deliberate="D8", py_expect={"state": {"data": ALL}}),
    c("get-page-size", [call("get", "patient", {"pageSize": 2})], deliberate="D8", py_expect={"state": {"data": ALL}}),
    c("get-limit", [call("get", "patient", {"limit": 2})]),
    c("get-max", [call("get", "patient", {"max": 4})]),
    c("get-limit-beats-max", [call("get", "patient", {"limit": 2, "max": 5})]),
    c("get-max-page-size", [call("get", "patient", {"max": 5, "pageSize": 2})], deliberate="D8", py_expect={"state": {"data": ALL[:5]}}),
    c("get-query", [call("get", "patient", {"query": "person 1", "v": "full"})]),
    c("get-reference", [call("get", call("dataValue", "uuid") )]),
    c("get-leading-slash", [call("get", "/encounter/e1")]),
    c("get-trailing-slash", [call("get", "encounter/e1/")]),
    c("get-language", [call("get", "encounter/e1", {"language": "fr"})]),
    c("get-missing", [call("get", "patient/missing")]),
    c("create", [call("create", "patient", call("dataValue", "person"))]),
    c("create-error", [call("create", "status", {"a": 1})]),
    c("update", [call("update", "person/p2", {"gender": "M"})]),
    c("upsert-uuid-found", [call("upsert", "patient/p2", {"a": 1})]),
    c("upsert-uuid-missing", [call("upsert", "patient/missing", {"a": 1})]),
    c("upsert-query-found", [call("upsert", "encounter", {"a": 1}, {"q": "one"})]),
    c("upsert-query-none", [call("upsert", "encounter", {"a": 1}, {"q": "none"})]),
    c("upsert-query-many", [call("upsert", "encounter", {"a": 1}, {"q": "many"})]),
    c("destroy", [call("destroy", "encounter/e1")]),
    c("destroy-purge", [call("destroy", "encounter/e1", {"purge": True})]),
    c("destroy-missing", [call("destroy", "encounter/missing")]),
    c("fhir-get-pages", [call("fhir.get", "Patient")]),
    c("fhir-get-query", [call("fhir.get", "Patient", {"count": 2, "lastUpdated": "ge2024"})]),
    c("fhir-get-offset", [call("fhir.get", "Patient", {"getPagesOffset": 2, "count": 2})]),
]
