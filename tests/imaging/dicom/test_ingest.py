"""imaging.dicom.ingest.radiograph_ingest: outcomes, de-identification on disk, spacing, lesions."""

from __future__ import annotations

import logging
import tempfile
from datetime import date
from pathlib import Path

import pydicom
import pytest
from pydicom.encaps import encapsulate
from pydicom.uid import JPEG2000Lossless, RLELossless

from imaging.dicom import ingest
from imaging.dicom.deidentify import map_uid
from imaging.dicom.keys import uid_key
from imaging.dicom.limits import IMAGE_TOO_LARGE, TOO_DEEPLY_NESTED, TOO_MANY_ELEMENTS
from imaging.dicom.read import (
    CORRUPT_PIXEL_DATA,
    NO_PIXEL_DATA,
    NOT_DICOM,
    TRUNCATED,
    UNSUPPORTED_TRANSFER_SYNTAX,
)
from imaging.models import CalcinosisLesion, DicomInstance, Radiograph
from imaging.services import lesion_save
from tests import factories
from tests.imaging import dicom_bombs
from tests.imaging.dcmtk import dcmdump, img2dcm_dx, require_dcmtk
from tests.imaging.dicom.test_deidentify import PHI
from tests.imaging.dicom_factory import (
    PATIENT_ID,
    PATIENT_NAME,
    STUDY_UID,
    JPEGBaseline8Bit,
    make_dx,
    to_bytes,
)

pytestmark = pytest.mark.django_db

SOP_UID = "1.2.826.0.1.3680043.8.498.20000000000000000000000000000000001"


@pytest.fixture(autouse=True)
def media(settings, tmp_path, monkeypatch) -> Path:
    """A fresh storage folder and temp folder per test, so both can be searched for PHI."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return tmp_path


@pytest.fixture
def matched_patient(center):
    return factories.make_patient(center, local_id=PATIENT_ID)


def ingest_ds(ds, center, **kwargs) -> ingest.IngestResult:
    return ingest.radiograph_ingest(to_bytes(ds), center=center, via="api", **kwargs)


def stored_path(instance: DicomInstance) -> Path:
    return Path(instance.file.path)


def test_imported_creates_a_radiograph_from_the_header(center, matched_patient):
    """PatientID = local id in the center: one radiograph with the header's fields."""
    result = ingest_ds(make_dx(), center)
    assert (result.outcome, result.reason) == ("imported", "")
    radiograph = Radiograph.objects.get(pk=result.radiograph_id)
    assert radiograph.patient == matched_patient
    assert (radiograph.acquired_on, radiograph.body_region) == (date(2024, 3, 12), "hand")
    assert (radiograph.laterality, radiograph.view, radiograph.modality) == ("left", "pa", "DX")
    assert (radiograph.rows, radiograph.columns) == (128, 96)
    assert radiograph.sop_instance_uid == map_uid(SOP_UID, uid_key()) == result.sop_instance_uid
    assert radiograph.study_instance_uid == map_uid(STUDY_UID, uid_key())
    instance = DicomInstance.objects.get(pk=result.instance_id)
    assert (instance.status, instance.radiograph, instance.patient) == (
        "matched",
        radiograph,
        matched_patient,
    )
    assert instance.size_bytes == stored_path(instance).stat().st_size
    assert instance.file.name == f"dicom/{instance.sha256[:2]}/{instance.sha256[2:4]}/" + (
        f"{instance.sha256}.dcm"
    )


def test_spacing_and_its_source_are_recorded(center, matched_patient):
    """ImagerPixelSpacing / magnification factor -> magnification corrected (DOMAIN.md)."""
    ds = make_dx(imager_pixel_spacing=(0.2, 0.15), magnification_factor=1.25)
    radiograph = Radiograph.objects.get(pk=ingest_ds(ds, center).radiograph_id)
    assert radiograph.pixel_spacing_mm == pytest.approx((0.16, 0.12))
    assert radiograph.pixel_spacing_source == "magnification_corrected"
    assert radiograph.dicom_instance.pixel_spacing_source == "magnification_corrected"


def test_no_spacing_gives_a_radiograph_without_spacing(center, matched_patient):
    """No ImagerPixelSpacing nor PixelSpacing: imported, and pixel measurement is refused."""
    result = ingest_ds(make_dx(imager_pixel_spacing=None), center)
    radiograph = Radiograph.objects.get(pk=result.radiograph_id)
    assert (radiograph.pixel_spacing_mm, radiograph.pixel_spacing_source) == (None, "")


def test_lesion_from_pixel_points_gets_mm_from_the_ingested_spacing(center, matched_patient):
    """A 30 x 40 pixel axis at 0.1 mm/pixel is 5 mm, labelled with the spacing's source."""
    radiograph = Radiograph.objects.get(pk=ingest_ds(make_dx(), center).radiograph_id)
    lesion = lesion_save(
        lesion=CalcinosisLesion(
            radiograph=radiograph,
            digit=1,
            segment="distal_phalanx",
            longest_axis_px=[[10, 10], [40, 50]],
            perpendicular_axis_px=[[20, 30], [20, 50]],
            longest_diameter_mm=0,
        )
    )
    assert (lesion.longest_diameter_mm, lesion.perpendicular_diameter_mm) == (5.0, 2.0)
    assert (lesion.measurement_source, lesion.spacing_source) == ("pixels", "projection")


@pytest.mark.parametrize(
    ("body_part", "view_position", "region", "view"),
    [
        ("EXTREMITY", "PA", "hand", "pa"),
        ("WRIST", "LL", "wrist", "lateral"),
        ("THUMB", "PA", "hand", "digit"),
        ("FOOT", "AP", "foot", "ap"),
        ("CHEST", "PA", "other", "pa"),
    ],
)
def test_body_region_and_view_from_the_header(
    center, matched_patient, body_part, view_position, region, view
):
    """EXTREMITY takes the default region (hand); a THUMB image is a dedicated digit view."""
    ds = make_dx(view_position=view_position)
    ds.BodyPartExamined = body_part
    radiograph = Radiograph.objects.get(pk=ingest_ds(ds, center).radiograph_id)
    assert (radiograph.body_region, radiograph.view) == (region, view)


def test_explicit_patient_wins_over_the_patient_id(center, matched_patient):
    """The uploader's choice of patient overrides the file's PatientID."""
    chosen = factories.make_patient(center)
    result = ingest_ds(make_dx(), center, patient=chosen)
    assert Radiograph.objects.get(pk=result.radiograph_id).patient == chosen


def test_explicit_patient_of_another_center_is_rejected(center, other_center):
    """A patient outside the receiving center cannot receive its images."""
    stranger = factories.make_patient(other_center)
    result = ingest_ds(make_dx(), center, patient=stranger)
    assert (result.outcome, result.reason) == ("rejected", ingest.PATIENT_NOT_IN_CENTER)
    assert not DicomInstance.objects.exists()


# --- duplicates -----------------------------------------------------------------------------


def test_resending_the_same_instance_is_a_duplicate(center, matched_patient):
    """Same SOP Instance UID again: "duplicate", no second radiograph or instance."""
    first = ingest_ds(make_dx(), center)
    again = ingest_ds(make_dx(), center)
    assert (again.outcome, again.reason) == ("duplicate", ingest.ALREADY_RECEIVED)
    assert (again.instance_id, again.radiograph_id) == (first.instance_id, first.radiograph_id)
    assert (Radiograph.objects.count(), DicomInstance.objects.count()) == (1, 1)


def test_the_same_instance_in_another_transfer_syntax_is_a_duplicate(center, matched_patient):
    """Re-encoded by a PACS (RLE instead of explicit little endian): still the same image."""
    ingest_ds(make_dx(), center)
    assert ingest_ds(make_dx(transfer_syntax=RLELossless), center).outcome == "duplicate"


def test_finding10_another_centers_image_is_not_a_duplicate(center, other_center, matched_patient):
    """Center B sent it first: center A is told nothing about it and gets its own rows; the
    identical de-identified bytes are stored once."""
    other_patient = factories.make_patient(other_center, local_id=PATIENT_ID)
    first = ingest_ds(make_dx(), other_center)
    result = ingest_ds(make_dx(), center)
    assert (result.outcome, result.reason) == ("imported", "")
    assert result.instance_id != first.instance_id
    mine, theirs = (DicomInstance.objects.get(pk=r.instance_id) for r in (result, first))
    assert (mine.center, mine.patient, theirs.patient) == (center, matched_patient, other_patient)
    assert mine.sop_instance_uid == theirs.sop_instance_uid and mine.file == theirs.file
    assert Radiograph.objects.count() == 2
    again = ingest_ds(make_dx(), center)
    assert (again.outcome, again.instance_id) == ("duplicate", result.instance_id)


# --- unmatched ------------------------------------------------------------------------------


def test_unknown_patient_id_waits_unmatched(center):
    """No patient with that local id: queued, no radiograph, a reason."""
    result = ingest_ds(make_dx(), center)
    assert (result.outcome, result.reason) == ("unmatched", "no_patient")
    instance = DicomInstance.objects.get(pk=result.instance_id)
    assert (instance.status, instance.patient, instance.radiograph) == ("unmatched", None, None)
    assert not Radiograph.objects.exists()


def test_patient_of_another_center_is_not_matched(other_center, center):
    """The same local id in another center is another person."""
    factories.make_patient(other_center, local_id=PATIENT_ID)
    assert ingest_ds(make_dx(), center).reason == "no_patient"


def test_missing_patient_id_waits_unmatched(center, matched_patient):
    ds = make_dx()
    ds.PatientID = ""
    result = ingest_ds(ds, center)
    assert (result.outcome, result.reason) == ("unmatched", "no_patient_id")
    assert DicomInstance.objects.get(pk=result.instance_id).source_patient_key == ""


def test_issuer_not_accepted_by_the_center_waits_unmatched(settings, center, matched_patient):
    """IssuerOfPatientID from another organisation: the local id may be someone else's."""
    settings.REGISTRY_DICOM_ISSUERS = {"north": ["NORTH-HOSPITAL"]}
    assert ingest_ds(make_dx(), center).reason == "issuer_not_accepted"
    settings.REGISTRY_DICOM_ISSUERS = {"north": ["SYNTH-HOSPITAL"]}
    ds = make_dx(sop_instance_uid="1.2.826.0.1.3680043.8.498.77")
    assert ingest_ds(ds, center).outcome == "imported"


def test_missing_laterality_keeps_the_match_but_waits(center, matched_patient):
    """No ImageLaterality nor Laterality: never guessed, the clinician gives it."""
    ds = make_dx()
    del ds.ImageLaterality
    result = ingest_ds(ds, center)
    assert (result.outcome, result.reason) == ("unmatched", "no_laterality")
    assert DicomInstance.objects.get(pk=result.instance_id).patient == matched_patient


def test_radiograph_dated_before_birth_waits_unmatched(center):
    """A header that fails the radiograph's validation is queued, not dropped."""
    factories.make_patient(center, local_id=PATIENT_ID, birth_date=date(2025, 1, 1))
    assert ingest_ds(make_dx(), center).reason == "invalid"


# --- rejected -------------------------------------------------------------------------------


def _raw_reason(data: bytes, center) -> tuple[str, str]:
    result = ingest.radiograph_ingest(data, center=center, via="cli")
    assert result.detail
    return result.outcome, result.reason


def test_non_dicom_is_rejected(center):
    assert _raw_reason(b"%PDF-1.7 not an image", center) == ("rejected", NOT_DICOM)


def test_truncated_file_is_rejected(center):
    data = to_bytes(make_dx())
    assert _raw_reason(data[: len(data) // 2], center) == ("rejected", TRUNCATED)


def test_pixel_less_file_is_rejected(center):
    ds = make_dx()
    del ds.PixelData
    assert _raw_reason(to_bytes(ds), center) == ("rejected", NO_PIXEL_DATA)


def test_unsupported_transfer_syntax_is_rejected(center):
    ds = make_dx(transfer_syntax=JPEGBaseline8Bit, bits_stored=8)
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.80"  # JPEG-LS lossless
    assert _raw_reason(to_bytes(ds), center) == ("rejected", UNSUPPORTED_TRANSFER_SYNTAX)


def test_missing_sop_instance_uid_is_rejected(center):
    ds = make_dx()
    del ds.SOPInstanceUID
    assert _raw_reason(to_bytes(ds), center) == ("rejected", ingest.MISSING_UID)


@pytest.mark.parametrize(
    ("bomb", "reason"),
    [
        (dicom_bombs.jpeg_bomb, IMAGE_TOO_LARGE),
        (dicom_bombs.rle_bomb, IMAGE_TOO_LARGE),
        (dicom_bombs.many_items, TOO_MANY_ELEMENTS),
        (dicom_bombs.deep_nesting, TOO_DEEPLY_NESTED),
    ],
    ids=["jpeg", "rle", "items", "depth"],
)
def test_finding3_bombs_are_rejected_with_their_reason(center, matched_patient, bomb, reason):
    """Each hostile file is "rejected" with its own reason, and nothing is stored."""
    result = ingest.radiograph_ingest(bomb(), center=center, via="api")
    assert (result.outcome, result.reason) == ("rejected", reason)
    assert not DicomInstance.objects.exists() and not Radiograph.objects.exists()


def test_finding3_limits_come_from_the_settings(settings, center):
    """REGISTRY_DICOM_MAX_PIXEL_DATA_MB=0 refuses even an ordinary radiograph."""
    settings.REGISTRY_DICOM_MAX_PIXEL_DATA_MB = 0
    assert ingest_ds(make_dx(), center).reason == IMAGE_TOO_LARGE


def test_a_compressed_frame_that_fails_to_decode_is_rejected(center):
    """Decoded in the sandbox: corrupt_pixel_data, nothing stored."""
    ds = make_dx(transfer_syntax=JPEG2000Lossless)
    ds.PixelData = encapsulate([b"\x00\x01" * 500])
    assert ingest_ds(ds, center).reason == CORRUPT_PIXEL_DATA
    assert not DicomInstance.objects.exists()


def test_file_over_the_size_limit_is_rejected(settings, center):
    settings.REGISTRY_DICOM_MAX_FILE_MB = 0
    assert _raw_reason(to_bytes(make_dx()), center) == ("rejected", ingest.TOO_LARGE)
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.dcm"))


# --- what is on disk ------------------------------------------------------------------------


def _assert_nothing_identifiable_on_disk(media: Path, *secrets: str) -> None:
    """Search every stored file for the secrets; the temporary folder must stay empty."""
    files = [p for p in (media / "media").rglob("*") if p.is_file()]
    assert files, "the storage folder is empty"
    for path in files:
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, f"{secret!r} found in {path}"
    assert not any((media / "tmp").iterdir()), "a temporary file was written"


@pytest.mark.parametrize("transfer_syntax", [None, RLELossless, JPEG2000Lossless])
def test_stored_file_is_deidentified(center, matched_patient, media, transfer_syntax):
    """pydicom on the stored file: every PHI value of the factory is gone, identity removed."""
    ds = make_dx(transfer_syntax=transfer_syntax) if transfer_syntax else make_dx()
    instance = DicomInstance.objects.get(pk=ingest_ds(ds, center).instance_id)
    stored = pydicom.dcmread(stored_path(instance))
    assert stored.PatientIdentityRemoved == "YES"
    codes = [item.CodeValue for item in stored.DeidentificationMethodCodeSequence]
    assert codes == ["113100", "113106"]
    assert (stored.PatientName, stored.PatientID) == ("", "")
    assert "IssuerOfPatientID" not in stored and not stored.get("PatientBirthDate")
    assert not [elem for elem in stored.iterall() if elem.tag.is_private]
    assert stored.SOPInstanceUID == instance.sop_instance_uid != SOP_UID
    assert stored.AcquisitionDate == "20240312"  # Retain Full Dates (113106)
    assert stored.ImageLaterality == "L" and stored.ImagerPixelSpacing == [0.1, 0.1]
    text = repr(stored) + repr(stored.file_meta)
    assert [value for value in PHI if value in text] == []
    _assert_nothing_identifiable_on_disk(media, PATIENT_NAME, PATIENT_ID, *PHI)


def test_dcmtk_built_file_is_deidentified_on_disk(center, media):
    """dcmtk's own files (img2dcm + dcmodify, private block): dcmdump finds no PHI."""
    require_dcmtk()
    factories.make_patient(center, local_id="SYN-DCMTK-1")
    source = img2dcm_dx(media / "in", patient_id="SYN-DCMTK-1")
    assert PATIENT_NAME in dcmdump(source)  # the PHI is really there before
    result = ingest.radiograph_ingest(source.read_bytes(), center=center, via="cli")
    assert (result.outcome, result.reason) == ("imported", "")
    source.unlink()
    dump = dcmdump(stored_path(DicomInstance.objects.get(pk=result.instance_id)))
    assert "(0012,0062) CS [YES]" in dump
    assert "113100" in dump and "113106" in dump
    assert "(0009," not in dump
    for value in ("Synthetic^Testpatient", "SYN-DCMTK-1", "ACC-998877", "Synthetic General"):
        assert value not in dump
    for value in ("SYNTH-XR-01", "SN-0000-TEST", "Operator^Fictional", "Nested Synthetic"):
        assert value not in dump
    _assert_nothing_identifiable_on_disk(
        media, PATIENT_NAME, "SYN-DCMTK-1", "Synthetic General Hospital"
    )


def test_patient_identifiers_are_never_logged(center, matched_patient, caplog):
    caplog.set_level(logging.DEBUG)
    ingest_ds(make_dx(), center)
    ingest_ds(make_dx(sop_instance_uid="1.2.826.0.1.3680043.8.498.78"), factories.make_center())
    assert caplog.records
    for value in (PATIENT_ID, PATIENT_NAME, "SYNTH-HOSPITAL", matched_patient.local_id):
        assert value not in caplog.text
