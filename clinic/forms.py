"""Forms of the clinic web app. Validation is the models' own (``full_clean`` in the services);
these forms only shape the inputs: labels, widgets, choices limited to the user's data."""

from __future__ import annotations

from django import forms

from imaging.choices import BodyRegion, Laterality, View
from imaging.models import CalcinosisLesion, LesionTrack, RadiographicFinding
from patients.choices import AUTOANTIBODIES
from patients.models import CLASSIFICATION_FIELDS, CalcinosisTreatment, Patient, Visit
from patients.mrss import MRSS_SITES
from patients.partial_dates import PartialDate

DATE = forms.DateInput(attrs={"type": "date"})
PARTIAL_HELP = "YYYY, YYYY-MM or YYYY-MM-DD (a year alone counts as 1 July; a month as the 15th)."


class PartialDateFormField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", PARTIAL_HELP)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"placeholder": "2015-06", "inputmode": "numeric"})
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value).strip()
        if not value:
            return None
        try:
            return PartialDate.parse(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class PatientForm(forms.ModelForm):
    raynaud_onset_text = PartialDateFormField(label="Raynaud onset")
    first_non_raynaud_onset_text = PartialDateFormField(label="First non-Raynaud manifestation")

    class Meta:
        model = Patient
        fields = [
            "center",
            "local_id",
            "sex",
            "birth_date",
            "ssc_subtype",
            "diagnosis_date",
            *[field for field, _label in AUTOANTIBODIES.values()],
            *CLASSIFICATION_FIELDS,
            "notes",
        ]
        widgets = {
            "birth_date": DATE,
            "diagnosis_date": DATE,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, centers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["center"].queryset = centers
        if centers.count() == 1:
            self.fields["center"].initial = centers.first()
        for field in ("raynaud_onset", "first_non_raynaud_onset"):
            onset = self.instance.onset(field) if self.instance.pk else None
            self.fields[f"{field}_text"].initial = onset.isoformat() if onset else ""

    def _post_clean(self):
        for field in ("raynaud_onset", "first_non_raynaud_onset"):
            onset = self.cleaned_data.get(f"{field}_text")
            setattr(self.instance, field, onset.start if onset else None)
            setattr(self.instance, f"{field}_precision", onset.precision if onset else "")
        super()._post_clean()


class VisitForm(forms.ModelForm):
    """The visit part of a follow-up; the 17 mRSS sites are optional inputs beside the total."""

    class Meta:
        model = Visit
        fields = [
            "date",
            "visit_type",
            "mrss_total",
            "calcinosis_pain_nrs",
            "calcinosis_pain_vas_mm",
            "ulceration",
            "ulceration_site",
            "infection",
            "infection_site",
            "drainage",
            "drainage_site",
            "chfs_total",
            "digital_ulcer_count",
            "raynaud_attacks_per_day",
            "notes",
        ]
        widgets = {"date": DATE, "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for site in MRSS_SITES:
            self.fields[f"mrss_{site}"] = forms.IntegerField(
                label=site.replace("_", " ").capitalize(),
                required=False,
                min_value=0,
                max_value=3,
                widget=forms.NumberInput(attrs={"class": "mrss-site", "min": 0, "max": 3}),
            )

    def mrss_site_fields(self):
        return [self[f"mrss_{site}"] for site in MRSS_SITES]

    def clean(self):
        cleaned = super().clean()
        sites = {site: cleaned.get(f"mrss_{site}") for site in MRSS_SITES}
        given = {site: value for site, value in sites.items() if value is not None}
        if given and len(given) < len(MRSS_SITES):
            self.add_error("mrss_total", "Score all 17 sites, or none and type the total.")
        elif given:
            self.instance.mrss_sites = given
            if cleaned.get("mrss_total") is None:
                self.instance.mrss_total = None  # the service computes it from the sites
        return cleaned


class TreatmentForm(forms.ModelForm):
    class Meta:
        model = CalcinosisTreatment
        fields = ["treatment", "route", "other_text", "started_on", "stopped_on"]
        widgets = {"started_on": DATE, "stopped_on": DATE}


class RadiographRowForm(forms.Form):
    """A radiograph taken on the visit's date (typed in; DICOM images arrive by upload)."""

    # Blank first options: an untouched row sends only blanks and counts as empty (a select
    # without one would send its first choice and create a phantom radiograph).
    body_region = forms.ChoiceField(choices=BodyRegion.choices, initial="hand")
    laterality = forms.ChoiceField(choices=[("", "—"), *Laterality.choices])
    view = forms.ChoiceField(choices=[("", "—"), *View.choices])
    spacing_mm = forms.FloatField(
        label="Pixel spacing (mm)", required=False, min_value=0.001, max_value=10
    )


class LesionRowForm(forms.ModelForm):
    """A lesion on one of the follow-up's radiographs (chosen by its row number)."""

    # initial=0 so an untouched row (the select always sends a value) counts as empty.
    radiograph_row = forms.TypedChoiceField(label="Radiograph", coerce=int, choices=[], initial=0)

    class Meta:
        model = CalcinosisLesion
        fields = [
            "laterality",
            "digit",
            "segment",
            "tissue",
            "longest_diameter_mm",
            "perpendicular_diameter_mm",
            "morphology",
            "density",
            "track",
        ]

    def __init__(self, *args, tracks=None, radiograph_rows: int = 3, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["radiograph_row"].choices = [
            (i, f"Radiograph {i + 1}") for i in range(radiograph_rows)
        ]
        self.fields["track"].queryset = tracks if tracks is not None else LesionTrack.objects.none()
        self.fields["track"].empty_label = "New or automatic"
        self.fields["laterality"].required = False
        self.fields["laterality"].help_text = "Leave empty: the radiograph's side."

    def _get_validation_exclusions(self):
        # An empty side is filled from the radiograph by the service, after this form.
        exclusions = super()._get_validation_exclusions()
        if not self.cleaned_data.get("laterality"):
            exclusions.add("laterality")
        return exclusions


class FindingRowForm(forms.ModelForm):
    radiograph_row = forms.TypedChoiceField(label="Radiograph", coerce=int, choices=[], initial=0)

    class Meta:
        model = RadiographicFinding
        fields = ["finding", "digit", "segment", "joint", "notes"]

    def __init__(self, *args, radiograph_rows: int = 3, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["radiograph_row"].choices = [
            (i, f"Radiograph {i + 1}") for i in range(radiograph_rows)
        ]
