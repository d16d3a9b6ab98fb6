"""The cohort page: progression statuses, burden by disease duration and the Kaplan-Meier curve
of the patients a person may see, with the patient list's filters (issue #16).

The same patients as ``GET /api/v1/cohort/progression/``: the one access rule, and for
researchers only patients who consented to research with their radiographs, every count from 1
to REGISTRY_MIN_CELL_SIZE - 1 suppressed, no identifier shown.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils.safestring import mark_safe

from access_log.models import AccessKind
from access_log.recording import access_log_note
from accounts.access import RADIOGRAPHS, access_of, restrict, restrict_to_scope
from accounts.models import Center
from clinic.access import any_role_required
from clinic.patient_filters import LIST_FILTERS, chosen_filters, filter_choices
from patients.filtersets import PatientFilterSet
from patients.models import Patient
from progression.cohort_charts import kaplan_meier_page_svg
from progression.cohort_page import cohort_page

COHORT_FILTERS = (*LIST_FILTERS, "center")
# key, label, unit, meaning (DOMAIN.md, "Calcinosis progression: the registry's rules")
RULES = (
    ("absolute_floor_mm", "Absolute floor", "mm", "no SLD change smaller than this counts"),
    (
        "progression_fraction",
        "Progression",
        "%",
        "SLD above its nadir by at least this fraction of the nadir (and the floor)",
    ),
    (
        "regression_fraction",
        "Regression",
        "%",
        "SLD below baseline by at least this fraction of the baseline (and the floor)",
    ),
)


def rules_shown(rules: dict[str, float]) -> list[tuple[str, str, float, str, str]]:
    """The thresholds in force, fractions as percentages."""
    return [
        (key, label, rules[key] * (100 if unit == "%" else 1), unit, meaning)
        for key, label, unit, meaning in RULES
    ]


@any_role_required
def cohort(request):
    access = access_of(request.user)
    # As the API's cohort: statistics come from radiograph measurements (docs/governance.md).
    patients = restrict_to_scope(Patient.objects.restrict(request.user), request.user, RADIOGRAPHS)
    query = chosen_filters(request.GET, COHORT_FILTERS)
    filterset = PatientFilterSet(query, queryset=patients, request=request)
    min_cell = settings.REGISTRY_MIN_CELL_SIZE
    context = {
        **filter_choices(),
        "centers": list(restrict(Center.objects.order_by("code"), request.user)),
        "research": access.research,
        "min_cell": min_cell,
    }
    if not filterset.is_valid():
        context["filter_errors"] = filterset.errors
        return render(request, "clinic/cohort.html", context, status=400)
    page = cohort_page(filterset.qs, research=access.research, min_cell=min_cell)
    access_log_note(request, kind=AccessKind.CLINIC_COHORT, patient_count=page.patient_count)
    follow_up = page.summary["kaplan_meier"]["follow_up"]
    hidden = f"<{min_cell}" if access.research else None
    context.update(
        {
            "page": page,
            "summary": page.summary,
            "follow_up": follow_up,
            "km_steps": [
                {**step, "percent": step["survival"] * 100} for step in follow_up["steps"]
            ],
            "km_chart": mark_safe(kaplan_meier_page_svg(follow_up, hidden_at_risk=hidden)),
            "rules": rules_shown(page.summary["rules"]),
        }
    )
    return render(request, "clinic/cohort.html", context)
