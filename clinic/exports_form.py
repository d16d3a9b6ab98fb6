"""The exports page's request form: the patient list's filters, the level(s), the format, the date
mode, whether to generalize, an optional project key and the progression rule overrides. It only
gathers the request; :func:`exports.services.export_request` (the API's service) checks and
records it, and its errors (keyed ``format``, ``date_mode``, ``filters.<name>``, ``rules``) land
beside the fields.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from accounts.access import Action, restrict
from accounts.models import Center
from exports.models import FORMAT_HELP, DateMode, Format, Level
from patients.choices import AUTOANTIBODIES, Sex, SscSubtype
from progression.engine.rules import RULE_KEYS, Rules

ANY = [("", "Any")]
ANTIBODY_VALUES = [("positive", "Positive"), ("negative", "Negative"), ("unknown", "Unknown")]
YES_NO = [("true", "Yes"), ("false", "No")]
PROJECT_KEY_HELP = (
    "Optional. The same key gives the same pseudonyms and date offsets in every export of your "
    "project, so exports made on different days join; without one, each export has its own. "
    "Keep it secret: it is never shown again."
)
GENERALIZE_HELP = (
    "Every export reports its k-anonymity: the size of the smallest group of patients sharing "
    "sex, birth year, center, subtype, onset years and first visit year. Ticked, the export "
    "coarsens them until every group holds at least {k} patients: birth years as 5-year bands, "
    "centers with fewer than {small} patients as \"(other)\", dates as days since the first "
    "non-Raynaud manifestation (not for FHIR), then it leaves out the patients still in smaller "
    "groups. The manifest says what was changed and how many patients were left out. "
    "Researchers' exports are always generalized while the registry's setting says so."
)
RULE_LABELS = {
    "absolute_floor_mm": "Progression floor (mm)",
    "progression_fraction": "Progression fraction",
    "regression_fraction": "Regression fraction",
}
CHOICE_GROUPS = ("center", "ssc_subtype")
# Form fields that are patient list filters, in the order of the page.
FILTER_FIELDS = (
    "center",
    "ssc_subtype",
    "sex",
    *AUTOANTIBODIES,
    "disease_duration_min",
    "disease_duration_max",
    "birth_year_min",
    "birth_year_max",
    "has_calcinosis",
    "meets_acr_eular_2013",
    "visit_date_after",
    "visit_date_before",
)


class ExportRequestForm(forms.Form):
    center = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Centers",
        help_text="None ticked: every center you may export.",
    )
    ssc_subtype = forms.MultipleChoiceField(
        required=False, choices=SscSubtype.choices, widget=forms.CheckboxSelectMultiple,
        label="SSc subtype",
    )
    sex = forms.ChoiceField(required=False, choices=ANY + list(Sex.choices))
    disease_duration_min = forms.DecimalField(
        required=False, min_value=0, decimal_places=1, label="Disease duration ≥ (years)"
    )
    disease_duration_max = forms.DecimalField(
        required=False, min_value=0, decimal_places=1, label="Disease duration ≤ (years)"
    )
    birth_year_min = forms.IntegerField(required=False, min_value=1900, label="Born from (year)")
    birth_year_max = forms.IntegerField(required=False, min_value=1900, label="Born until (year)")
    has_calcinosis = forms.ChoiceField(
        required=False, choices=ANY + YES_NO, label="Calcinosis recorded"
    )
    meets_acr_eular_2013 = forms.ChoiceField(
        required=False, choices=ANY + YES_NO, label="Meets ACR/EULAR 2013"
    )
    visit_date_after = forms.DateField(
        required=False, label="A visit on or after", widget=forms.DateInput(attrs={"type": "date"})
    )
    visit_date_before = forms.DateField(
        required=False, label="A visit on or before",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    level = forms.ChoiceField(
        choices=Level.choices, initial=Level.ALL, widget=forms.RadioSelect,
        label="What one row is",
    )
    format = forms.ChoiceField(choices=Format.choices, initial=Format.CSV, help_text=FORMAT_HELP)
    date_mode = forms.ChoiceField(choices=DateMode.choices, widget=forms.RadioSelect)
    generalize = forms.BooleanField(
        required=False, label="Generalize until every patient shares their quasi-identifiers "
        "with others (k-anonymity)",
    )
    project_key = forms.CharField(
        required=False, max_length=200, help_text=PROJECT_KEY_HELP,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, user, research: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for key, (_field, label) in AUTOANTIBODIES.items():
            self.fields[key] = forms.ChoiceField(
                required=False, choices=ANY + ANTIBODY_VALUES, label=label
            )
        centers = restrict(Center.objects.order_by("code"), user, Action.VIEW)
        self.fields["center"].choices = [(c.code, f"{c.code} · {c.name}") for c in centers]
        defaults = Rules().as_dict()
        for key in RULE_KEYS:
            self.fields[key] = forms.FloatField(
                required=False, min_value=0, label=RULE_LABELS.get(key, key),
                help_text=f"Default {defaults[key]:g}.",
            )
        if research:  # the only mode open to researchers (exports.services)
            self.fields["date_mode"].choices = [(DateMode.KEEP.value, DateMode.KEEP.label)]
            self.fields["date_mode"].initial = DateMode.KEEP
        else:
            self.fields["date_mode"].initial = DateMode.SHIFT
        # The service's rule, shown: researchers' exports are generalized while the setting is
        # on (a disabled field keeps its initial value whatever is posted).
        generalize = self.fields["generalize"]
        generalize.initial = generalize.disabled = (
            research and settings.REGISTRY_EXPORT_RESEARCH_GENERALIZE
        )
        generalize.help_text = GENERALIZE_HELP.format(
            k=settings.REGISTRY_EXPORT_K_ANONYMITY, small=settings.REGISTRY_EXPORT_SMALL_CENTER
        )

    def choice_groups(self) -> list[forms.BoundField]:
        """The filters with several ticks (rendered as groups of checkboxes)."""
        return [self[name] for name in CHOICE_GROUPS]

    def filter_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in FILTER_FIELDS if name not in CHOICE_GROUPS]

    def rule_fields(self) -> list[forms.BoundField]:
        return [self[key] for key in RULE_KEYS]

    def request(self) -> dict[str, Any]:
        """The keyword arguments of ``export_request`` (chosen filters and rules only)."""
        data = self.cleaned_data
        filters: dict[str, Any] = {}
        for name in FILTER_FIELDS:
            value = data.get(name)
            if value in (None, "", []):
                continue
            filters[name] = value.isoformat() if hasattr(value, "isoformat") else (
                str(value) if not isinstance(value, list) else value
            )
        rules = {key: data[key] for key in RULE_KEYS if data.get(key) is not None}
        return {
            "level": data["level"],
            "format": data["format"],
            "date_mode": data["date_mode"],
            "filters": filters,
            "project_key": data.get("project_key", ""),
            "rules": rules,
            "generalize": data["generalize"],
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """The service's errors beside the fields they name (``filters.ssc_subtype`` beside
        the subtype), the others above the form."""
        for key, messages in error.message_dict.items():
            field = key.removeprefix("filters.")
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
