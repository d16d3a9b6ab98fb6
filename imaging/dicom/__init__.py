"""The DICOM pipeline, from a Part 10 file to a de-identified, previewed radiograph.

Pure modules (plain Python and pydicom, no ORM): ``read`` (the only place that parses a file),
``fields``, ``limits``, ``pixel_spacing``, ``deidentify``, ``render`` (pixels to PNG) and
``sandbox`` (the decode subprocess). Services with the database or storage: ``keys``,
``storage``, ``files``, ``ingest``, ``previews`` (the rendering job), ``receiver`` (the C-STORE
SCP), ``unmatched``, ``burned_in`` and ``orphans``.
"""
