"""Importing a clinic's CSV into one center: parsing (:mod:`~exports.imports.rows`, no database),
writing through the registry's services (:mod:`~exports.imports.writers`), and the all-or-nothing
run with its report (:mod:`~exports.imports.cohort`).

A package of the ``exports`` app, not an app of its own: its one model,
:class:`exports.models.ImportedRecord`, and the ``import_cohort`` command stay with ``exports``,
and the import reads the export's own columns, levels and pseudonyms (a file exported is a file
that imports).
"""
