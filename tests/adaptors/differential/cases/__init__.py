"""Every differential case, by adaptor."""

from tests.adaptors.differential.cases import common, common_edges, fhir, http, http_edges, openmrs

ALL_CASES = [*common.CASES, *common_edges.CASES, *common.STICKY_CURSOR, *http.CASES, *http_edges.CASES, *fhir.CASES, *openmrs.CASES]
