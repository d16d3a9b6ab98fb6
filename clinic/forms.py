"""Forms of the clinic web app. Validation is the models' own (``full_clean`` in the services);
these forms only shape the inputs: labels, widgets, choices limited to the user's data."""

from __future__ import annotations

from django import forms

from imaging.choices import BodyRegion, Laterality, MeasurementSource, SpacingSource, View
from imaging.models import CalcinosisLesion, LesionTrack, Radiograph, RadiographicFinding
from patients.choices import AUTOANTIBODIES
from patients.models import (
    CLASSIFICATION_FIELDS,
    TREATMENT_FIELDS,
    CalcinosisTreatment,
    Patient,
    Visit,
)
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

    def _update_errors(self, errors):
        # The model names the onset's date and precision; this form's input is the onset text
        # (without this, an onset after the diagnosis raised "no field named" and a 500).
        if hasattr(errors, "error_dict"):
            for field in ("raynaud_onset", "first_non_raynaud_onset"):
                for name in (field, f"{field}_precision"):
                    if name in errors.error_dict:
                        moved = errors.error_dict.pop(name)
                        errors.error_dict.setdefault(f"{field}_text", []).extend(moved)
        super()._update_errors(errors)


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
        fields = list(TREATMENT_FIELDS)
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


class VisitEditForm(VisitForm):
    """A stored visit: the 17 sites prefilled from the stored scores. With the sites scored the
    total is their sum: the total field still shows the stored one, which a changed site would
    otherwise contradict."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sites = self.instance.mrss_sites if isinstance(self.instance.mrss_sites, dict) else {}
        for site in MRSS_SITES:
            self.fields[f"mrss_{site}"].initial = sites.get(site)
        self.fields["mrss_total"].help_text = "With the 17 sites scored, the total is their sum."

    @property
    def mrss_sites_given(self) -> bool:
        return any(self[f"mrss_{site}"].value() not in (None, "") for site in MRSS_SITES)

    def clean(self):
        cleaned = super().clean()
        given = [cleaned.get(f"mrss_{site}") is not None for site in MRSS_SITES]
        if not any(given):
            self.instance.mrss_sites = None  # sites cleared: the typed total stands alone
        elif all(given):
            cleaned["mrss_total"] = None  # the service sums the sites
        return cleaned


SPACING_FROM_DICOM = (
    "This spacing was read from the DICOM header ({source}). To replace it with a value "
    "measured by hand, tick the box below."
)
SPACING_HAS_MEASUREMENTS = (
    "{count} lesion(s) were measured on this image with the current spacing; their mm values "
    "would no longer match. Delete them, or keep the spacing."
)
SPACING_ROW_MISSING = "Give the row spacing too (or only the row spacing for square pixels)."
SITE_HAS_LESIONS = (
    "{count} lesion(s) were marked on this radiograph for this {what}; their sites and deposits "
    "depend on it. Delete them first, or keep the {what}."
)


class RadiographEditForm(forms.ModelForm):
    """Date, region, side and view; the pixel spacing when typed in by hand. A spacing read from
    the DICOM header (DOMAIN.md spacing rule) is replaced only on purpose, by ticking a box."""

    spacing_row_mm = forms.FloatField(
        label="Pixel spacing, rows (mm)", required=False, min_value=0.001, max_value=10
    )
    spacing_column_mm = forms.FloatField(
        label="Pixel spacing, columns (mm)",
        required=False,
        min_value=0.001,
        max_value=10,
        help_text="Empty: the same as the rows (square pixels).",
    )
    replace_dicom_spacing = forms.BooleanField(
        label="Replace the spacing read from the DICOM header with the values above",
        required=False,
    )

    class Meta:
        model = Radiograph
        fields = ["acquired_on", "body_region", "laterality", "view", "notes"]
        widgets = {"acquired_on": DATE, "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        radiograph = self.instance
        self.spacing_from_dicom = radiograph.pixel_spacing_source not in ("", SpacingSource.MANUAL)
        if not self.spacing_from_dicom:
            del self.fields["replace_dicom_spacing"]
        self.fields["spacing_row_mm"].initial = radiograph.pixel_spacing_row_mm
        self.fields["spacing_column_mm"].initial = radiograph.pixel_spacing_column_mm
        self._spacing: tuple[float, float] | bool | None = False  # False: unchanged

    def clean(self):
        cleaned = super().clean()
        lesions = self.instance.lesions.count()
        for field, what in (("body_region", "region"), ("laterality", "side")):
            if lesions and field in self.changed_data:
                self.add_error(field, SITE_HAS_LESIONS.format(count=lesions, what=what))
        if "spacing_row_mm" in self.errors or "spacing_column_mm" in self.errors:
            return cleaned
        row, column = cleaned.get("spacing_row_mm"), cleaned.get("spacing_column_mm")
        if row is None and column is not None:
            self.add_error("spacing_row_mm", SPACING_ROW_MISSING)
            return cleaned
        spacing = None if row is None else (row, row if column is None else column)
        stored = self.instance.pixel_spacing_mm
        if spacing == stored:
            return cleaned
        if self.spacing_from_dicom and not cleaned.get("replace_dicom_spacing"):
            source = self.instance.get_pixel_spacing_source_display()
            self.add_error("spacing_row_mm", SPACING_FROM_DICOM.format(source=source.lower()))
            return cleaned
        measured = self.instance.lesions.filter(measurement_source=MeasurementSource.PIXELS)
        if stored is not None and measured.exists():
            count = measured.count()
            self.add_error("spacing_row_mm", SPACING_HAS_MEASUREMENTS.format(count=count))
            return cleaned
        self._spacing = spacing
        return cleaned

    def _post_clean(self):
        if self._spacing is not False:
            row, column = self._spacing or (None, None)
            self.instance.pixel_spacing_row_mm = row
            self.instance.pixel_spacing_column_mm = column
            self.instance.pixel_spacing_source = SpacingSource.MANUAL if self._spacing else ""
        super()._post_clean()

    def _update_errors(self, errors):
        # The model names the pair "pixel_spacing_mm"; here it is typed in the row field.
        if hasattr(errors, "error_dict") and "pixel_spacing_mm" in errors.error_dict:
            errors.error_dict["spacing_row_mm"] = errors.error_dict.pop("pixel_spacing_mm")
        super()._update_errors(errors)


class LesionEditForm(forms.ModelForm):
    """A stored lesion. Diameters typed in mm can be corrected; a lesion measured on the image
    keeps the diameters of its end points (re-measure it in the viewer), as in the API."""

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
            "notes",
        ]

    def __init__(self, *args, tracks, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.radiograph.laterality != Laterality.BILATERAL:
            del self.fields["laterality"]  # the radiograph's side
        self.measured_on_image = self.instance.measurement_source == MeasurementSource.PIXELS
        if self.measured_on_image:
            del self.fields["longest_diameter_mm"]
            del self.fields["perpendicular_diameter_mm"]
        else:
            self.fields["longest_diameter_mm"].label = "Longest diameter (mm)"
            self.fields["perpendicular_diameter_mm"].label = "Perpendicular diameter (mm)"
        self.fields["track"].queryset = tracks
        self.fields["track"].empty_label = "Match automatically"
        self.fields["track"].label = "Deposit over time"


DELETE_REASON_REQUIRED = "Give the reason for deleting (it is kept in the audit trail)."
DELETE_REASON_INVALID = "At most 100 characters of plain text."


class DeleteForm(forms.Form):
    """The reason of a deletion, kept in the history record (100 characters there)."""

    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 100}),
        error_messages={"required": DELETE_REASON_REQUIRED},
        help_text="Kept in the audit trail with your name and the time.",
    )

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if len(reason) > 100 or not reason.isprintable():
            raise forms.ValidationError(DELETE_REASON_INVALID)
        return reason
