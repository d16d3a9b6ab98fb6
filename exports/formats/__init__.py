"""The file formats an export is written in (and the import reads back): CSV and XLSX
(:mod:`~exports.formats.tabular`), the wide layout (:mod:`~exports.formats.wide`), Parquet
(:mod:`~exports.formats.parquet`), SPSS and Stata (:mod:`~exports.formats.labelled`, their names,
labels and codes in :mod:`~exports.formats.value_labels`), FHIR R4 Bulk Data
(:mod:`exports.formats.fhir`), and the formula neutralisation CSV and XLSX share
(:mod:`~exports.formats.spreadsheet_safety`). A writer takes columns and rows; which rows, and
how they are pseudonymized, is the rest of ``exports``.
"""
