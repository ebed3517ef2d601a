"""Every differential case, by adaptor."""

from tests.adaptors.differential.cases import common, fhir, http, openmrs

ALL_CASES = [*common.CASES, *http.CASES, *fhir.CASES, *openmrs.CASES]
