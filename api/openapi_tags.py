"""The API's resources as people name them: one OpenAPI tag per resource, in the order the
documentation lists them (``SPECTACULAR_SETTINGS["TAGS"]``). Plain data, no Django import: the
settings read it. Each view names its tag with :func:`api.schema.resource`."""

from __future__ import annotations

TAGS: tuple[tuple[str, str], ...] = (
    (
        "Patients",
        "People with systemic sclerosis: demographics, subtype history, autoantibodies and the "
        "2013 ACR/EULAR items; classification score and disease duration are computed.",
    ),
    (
        "Visits",
        "Baseline, follow-up and unscheduled visits: mRSS, calcinosis symptoms, Cochin Hand "
        "Function Scale, digital ulcers, Raynaud attacks.",
    ),
    ("Treatments", "Calcinosis treatments of a patient, with start and stop dates."),
    (
        "Radiographs",
        "Hand (and other) radiographs: region, side, view, date and the pixel spacing that "
        "turns pixel points into millimetres.",
    ),
    ("Findings", "What a radiograph shows besides the measured deposits."),
    (
        "Lesions",
        "Calcinosis deposits measured on one radiograph: site, diameters in mm (typed, or from "
        "two pixel points and the radiograph's spacing), density, morphology, and the deposit "
        "over time (track) they belong to.",
    ),
    (
        "Lesion tracks",
        "One deposit followed over the years: the lesions of several radiographs at one site, "
        "matched automatically or chosen by a clinician.",
    ),
    (
        "DICOM",
        "DICOM files in: upload (de-identified on receipt), the de-identified file and its "
        "previews, the queue of images that matched no patient, the burned-in text review.",
    ),
    (
        "Progression",
        "A patient's calcinosis progression per region series and deposit (DOMAIN.md rules), "
        "as JSON and as a chart.",
    ),
    (
        "Cohort",
        "Progression across the patients you may see: counts, burden by disease duration, "
        "Kaplan-Meier; recomputation of the whole cohort.",
    ),
    (
        "Exports",
        "Pseudonymized research exports (CSV long or wide, Parquet, XLSX, FHIR): request a job, "
        "follow it, download the package; the data dictionary of each level.",
    ),
    ("Imports", "Cohort data from a CSV in the export's format, validated, then all or nothing."),
    (
        "Consent",
        "Consent documents of a center, a patient's signed consents and withdrawals, and the "
        "patients whose consent needs action.",
    ),
    (
        "Erasure",
        "Erasing a patient (GDPR Art. 17) and the report of everything held about them "
        "(Art. 15): center admins of the patient's center.",
    ),
    ("Access log", "Who read which patient's record, when and from where: for center admins."),
    (
        "Sign-in events",
        "Sign-ins, failures, lockouts and second-factor events of your centers' members.",
    ),
    ("Tasks", "Your background jobs of every kind (recomputations, exports) and their progress."),
    ("Accounts", "Centers, and users' roles in them (memberships, managed by center admins)."),
    ("Health", "Whether the database, the broker and the cache answer."),
)

TAG_NAMES: frozenset[str] = frozenset(name for name, _ in TAGS)

SPECTACULAR_TAGS: list[dict[str, str]] = [
    {"name": name, "description": description} for name, description in TAGS
]
