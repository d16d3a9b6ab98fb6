"""Radiograph and lesion rules through full_clean and through the raw ORM."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.deletion import RestrictedError
from django.utils import timezone

from imaging import services, validation
from imaging.models import CalcinosisLesion, LesionTrack, Radiograph
from tests.factories import make_lesion, make_patient, make_radiograph, make_track, make_visit

pytestmark = pytest.mark.django_db


def errors(excinfo) -> dict:
    return excinfo.value.message_dict


def test_teaching_case_lesion_takes_the_radiograph_side(patient):
    lesion = make_lesion(make_radiograph(patient, laterality="left"), longest_diameter_mm=15.0)
    assert lesion.laterality == "left"
    assert lesion.measurement_source == "manual"
    assert lesion.track is None and lesion.track_assignment == ""


def test_implausible_diameter_names_the_field(patient):
    """A hand deposit over 60 mm is an entry error (cm typed as mm); a forearm sheet is not."""
    with pytest.raises(ValidationError) as excinfo:
        make_lesion(make_radiograph(patient, body_region="hand"), longest_diameter_mm=150)
    assert "implausible" in errors(excinfo)["longest_diameter_mm"][0]
    forearm = make_radiograph(patient, body_region="forearm", view="ap")
    assert make_lesion(forearm, digit=None, segment="", longest_diameter_mm=150).pk


def test_database_refuses_absurd_diameters(patient):
    radiograph = make_radiograph(patient)
    for longest, perpendicular in ((0, None), (-3, None), (400, None), (10, 12)):
        with pytest.raises(IntegrityError), transaction.atomic():
            CalcinosisLesion.objects.create(
                radiograph=radiograph,
                laterality="left",
                longest_diameter_mm=longest,
                perpendicular_diameter_mm=perpendicular,
            )
    assert not CalcinosisLesion.objects.exists()


def test_perpendicular_longer_than_longest(patient):
    with pytest.raises(ValidationError) as excinfo:
        make_lesion(make_radiograph(patient), longest_diameter_mm=10, perpendicular_diameter_mm=12)
    assert errors(excinfo)["perpendicular_diameter_mm"] == [validation.PERPENDICULAR_LONGER]


def test_lesion_side_must_match_a_one_sided_radiograph(patient):
    with pytest.raises(ValidationError) as excinfo:
        make_lesion(make_radiograph(patient, laterality="left"), laterality="right")
    assert "laterality" in errors(excinfo)
    bilateral = make_radiograph(patient, laterality="bilateral")
    with pytest.raises(ValidationError) as excinfo:
        make_lesion(bilateral)  # a bilateral image's lesion carries its own side
    assert "laterality" in errors(excinfo)
    assert make_lesion(bilateral, laterality="right").laterality == "right"


def test_track_of_another_patient_is_refused(center):
    mine, theirs = make_patient(center), make_patient(center)
    radiograph = make_radiograph(mine)
    foreign_track = make_track(theirs)
    with pytest.raises(ValidationError) as excinfo:
        make_lesion(radiograph, track=foreign_track)
    assert errors(excinfo)["track"] == [validation.TRACK_MISMATCH]
    with (
        pytest.raises(IntegrityError, match="lesion_matches_radiograph_and_track"),
        transaction.atomic(),
    ):
        CalcinosisLesion.objects.create(
            radiograph=radiograph,
            laterality="left",
            longest_diameter_mm=5,
            track=foreign_track,
            track_assignment="user",
        )


def test_track_of_another_region_or_side_is_refused(patient):
    radiograph = make_radiograph(patient, laterality="left")
    with pytest.raises(ValidationError):
        make_lesion(radiograph, track=make_track(patient, laterality="right"))
    with pytest.raises(ValidationError):
        make_lesion(radiograph, track=make_track(patient, body_region="foot"))
    lesion = make_lesion(radiograph, track=make_track(patient))
    assert lesion.track_assignment == "user"


def test_moving_a_track_or_radiograph_away_from_its_lesions_is_refused(center):
    patient, other = make_patient(center), make_patient(center)
    track = make_track(patient)
    radiograph = make_radiograph(patient)
    make_lesion(radiograph, track=track)
    with pytest.raises(IntegrityError, match="track_matches_its_lesions"), transaction.atomic():
        LesionTrack.objects.filter(pk=track.pk).update(patient=other)
    with (
        pytest.raises(IntegrityError, match="radiograph_consistent_with_patient"),
        transaction.atomic(),
    ):
        Radiograph.objects.filter(pk=radiograph.pk).update(laterality="right")


def test_radiograph_dates(patient):
    with pytest.raises(ValidationError) as excinfo:
        make_radiograph(patient, acquired_on=timezone.localdate() + timedelta(days=3))
    assert "acquired_on" in errors(excinfo)
    with pytest.raises(IntegrityError), transaction.atomic():
        Radiograph.objects.create(
            patient=patient, acquired_on=date(1950, 1, 1), laterality="left", view="pa"
        )


def test_radiograph_of_another_patients_visit(center):
    patient, other = make_patient(center), make_patient(center)
    visit = make_visit(other)
    with pytest.raises(ValidationError) as excinfo:
        make_radiograph(patient, visit=visit)
    assert errors(excinfo)["visit"] == [validation.VISIT_OF_OTHER_PATIENT]
    with pytest.raises(IntegrityError), transaction.atomic():
        Radiograph.objects.create(
            patient=patient, visit=visit, acquired_on=date(2023, 1, 1), laterality="left", view="pa"
        )


def test_pixel_spacing_is_complete_or_absent(patient):
    with pytest.raises(ValidationError) as excinfo:
        make_radiograph(patient, pixel_spacing_row_mm=0.1)
    assert "pixel_spacing_mm" in errors(excinfo)
    with pytest.raises(IntegrityError), transaction.atomic():
        Radiograph.objects.create(
            patient=patient,
            acquired_on=date(2023, 1, 1),
            laterality="left",
            view="pa",
            pixel_spacing_row_mm=0.1,
            pixel_spacing_column_mm=0,
            pixel_spacing_source="projection",
        )


def test_lesion_measured_from_pixels(patient):
    """150 px along x at 0.1 mm/px = 15.0 mm; 90 px along y at 0.1 = 9.0 mm; the spacing came
    from ImagerPixelSpacing only, so the values carry the 'projection' (approximate) label."""
    radiograph = make_radiograph(
        patient,
        pixel_spacing_row_mm=0.1,
        pixel_spacing_column_mm=0.1,
        pixel_spacing_source="projection",
    )
    lesion = make_lesion(
        radiograph,
        longest_diameter_mm=None,
        longest_axis_px=[[100, 200], [250, 200]],
        perpendicular_axis_px=[[175, 155], [175, 245]],
    )
    assert lesion.longest_diameter_mm == pytest.approx(15.0)
    assert lesion.perpendicular_diameter_mm == pytest.approx(9.0)
    assert (lesion.measurement_source, lesion.spacing_source) == ("pixels", "projection")


def test_pixel_points_without_spacing_are_refused(patient):
    radiograph = make_radiograph(patient)
    with pytest.raises(ValidationError) as excinfo:
        make_lesion(radiograph, longest_axis_px=[[0, 0], [10, 10]])
    assert errors(excinfo)["longest_axis_px"] == [services.NO_SPACING]
    assert not CalcinosisLesion.objects.exists()


def test_a_track_with_lesions_cannot_be_deleted_but_a_radiograph_takes_its_lesions(patient):
    track = make_track(patient)
    radiograph = make_radiograph(patient)
    make_lesion(radiograph, track=track)
    with pytest.raises(RestrictedError):
        track.delete()
    radiograph.delete()
    assert not CalcinosisLesion.objects.exists()
    track.delete()


def test_changing_an_automatic_track_makes_it_the_users_choice(patient):
    """The engine's match is 'auto'; a person moving the lesion to another track overrides it
    (and the engine must not move it back)."""
    first, second = make_track(patient), make_track(patient)
    lesion = make_lesion(make_radiograph(patient), track=first)
    CalcinosisLesion.objects.filter(pk=lesion.pk).update(track_assignment="auto")
    lesion.refresh_from_db()
    lesion.track = second
    services.lesion_save(lesion=lesion)
    assert (lesion.track_id, lesion.track_assignment) == (second.pk, "user")
