"""FHIR R4 Bulk Data: the pure mapping of exported rows to resources
(:mod:`~exports.formats.fhir.resources`), the NDJSON writer (:mod:`~exports.formats.fhir.ndjson`)
and the data dictionary of its elements (:mod:`~exports.formats.fhir.dictionary`)."""
