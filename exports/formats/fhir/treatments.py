"""FHIR R4 resources of calcinosis treatments, built from rows of the treatments level (pure):
a drug as a MedicationStatement (the agent by its WHO ATC code, route and dose in ``dosage``),
surgical excision and extracorporeal shock-wave lithotripsy as a Procedure. Codes:
:data:`exports.codes.TREATMENT_CODES` and :data:`exports.codes.ROUTE_CODES` (verified ones only;
the rest is text).

Two kinds of row are no resource. "none" (no calcinosis treatment): R4 has no way to state it
without naming a medication, and a missing resource already asserts nothing. "other": its name
is free text, which never leaves, so the export cannot say whether it was a drug or a procedure.
Both stay in the treatments file of the tabular formats. Resource ids keep the row's ordinal
among the patient's treatments (``P-…-tr3``: the third), skipped rows included.
"""

from __future__ import annotations

from typing import Any

from exports import codes
from exports.formats.fhir.resources import (
    Row,
    fhir_date,
    fhir_id,
    quantity,
    reference,
    resource_meta,
)

NOT_A_RESOURCE = ("none", "other")
ONE_OFF = "surgical_excision"  # done on its day; lithotripsy may be a series of sessions
PROCEDURES = {
    ONE_OFF: "Surgical excision of calcinosis",
    "eswl": "Extracorporeal shock-wave lithotripsy of calcinosis",
}
# Timing.repeat of each dose frequency (patients.choices.DoseFrequency); "per session" names
# no period, so its timing is the text alone.
TIMING: dict[str, dict[str, Any]] = {
    "once": {"count": 1},
    "daily": {"frequency": 1, "period": 1, "periodUnit": "d"},
    "twice_daily": {"frequency": 2, "period": 1, "periodUnit": "d"},
    "three_times_daily": {"frequency": 3, "period": 1, "periodUnit": "d"},
    "three_times_weekly": {"frequency": 3, "period": 1, "periodUnit": "wk"},
    "weekly": {"frequency": 1, "period": 1, "periodUnit": "wk"},
    "monthly": {"frequency": 1, "period": 1, "periodUnit": "mo"},
}
REASON = {
    "coding": [codes.ICD10_CALCINOSIS_CUTIS.coding()],
    "text": "Calcinosis cutis in systemic sclerosis",
}


def treatment_id(row: Row, number: int) -> str:
    return fhir_id(row["patient"], f"tr{number}")


def amount_text(value: float) -> str:
    """``2.5``, ``10`` (no trailing zeros)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def dosage(row: Row, *, route_label: str, frequency_label: str) -> dict | None:
    """The route, dose and frequency as recorded, with the same in words; None when none is."""
    found: dict[str, Any] = {}
    words = []
    amount = row.get("dose_amount")
    if amount is not None:
        found["doseAndRate"] = [{"doseQuantity": quantity(amount, row["dose_unit"])}]
        words.append(f"{amount_text(amount)} {row['dose_unit']}")
    route = row.get("route")
    if route:
        found["route"] = {"coding": [codes.ROUTE_CODES[route].coding()], "text": route_label}
        words.append(route_label.lower())
    frequency = row.get("dose_frequency")
    if frequency:
        found["timing"] = {"code": {"text": frequency_label}}
        if frequency in TIMING:
            found["timing"]["repeat"] = TIMING[frequency]
        words.append(frequency_label.lower())
    if not found:
        return None
    return {"text": ", ".join(words), **found}


def medication_statement(
    row: Row, number: int, *, agent_label: str, route_label: str = "", frequency_label: str = ""
) -> dict:
    """A drug from its start to its stop date: completed once a stop date is recorded, active
    until then."""
    agent: dict[str, Any] = {"text": agent_label}
    code = codes.TREATMENT_CODES.get(row["treatment"])
    if code is not None:
        agent["coding"] = [code.coding()]
    period = {"start": fhir_date(row["started_on"])}
    if row.get("stopped_on") is not None:
        period["end"] = fhir_date(row["stopped_on"])
    resource = {
        "resourceType": "MedicationStatement",
        "id": treatment_id(row, number),
        "meta": resource_meta(),
        "status": "completed" if "end" in period else "active",
        "medicationCodeableConcept": agent,
        "subject": reference("Patient", row["patient"]),
        "effectivePeriod": period,
        "reasonCode": [REASON],
    }
    given = dosage(row, route_label=route_label, frequency_label=frequency_label)
    if given is not None:
        resource["dosage"] = [given]
    return resource


def procedure(row: Row, number: int) -> dict:
    """Surgical excision (done on its day) or lithotripsy (a series until its stop date; in
    progress while none is recorded). A procedure carries no dose in R4."""
    kind = row["treatment"]
    concept: dict[str, Any] = {"text": PROCEDURES[kind]}
    code = codes.TREATMENT_CODES.get(kind)
    if code is not None:
        concept["coding"] = [code.coding()]
    start, stop = fhir_date(row["started_on"]), fhir_date(row.get("stopped_on"))
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": treatment_id(row, number),
        "meta": resource_meta(),
        "status": "completed",
        "code": concept,
        "subject": reference("Patient", row["patient"]),
        "reasonCode": [REASON],
    }
    if stop == start or (stop is None and kind == ONE_OFF):
        resource["performedDateTime"] = start
    elif stop is None:
        resource["status"] = "in-progress"
        resource["performedPeriod"] = {"start": start}
    else:
        resource["performedPeriod"] = {"start": start, "end": stop}
    return resource


def treatment_resource(row: Row, number: int, labels: dict[str, dict[str, str]]) -> dict | None:
    """The resource of one treatments row (None for "none" and "other"); ``labels``: the
    choices' labels of ``treatment``, ``route`` and ``dose_frequency`` by value."""
    kind = row["treatment"]
    if kind in NOT_A_RESOURCE:
        return None
    if kind in PROCEDURES:
        return procedure(row, number)
    return medication_statement(
        row,
        number,
        agent_label=labels["treatment"][kind],
        route_label=labels["route"].get(row.get("route") or "", ""),
        frequency_label=labels["dose_frequency"].get(row.get("dose_frequency") or "", ""),
    )
