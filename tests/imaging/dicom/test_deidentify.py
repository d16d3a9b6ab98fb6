"""imaging.dicom.deidentify: PS3.15 Annex E Basic Profile, Retain Full Dates (113100 + 113106)."""

from __future__ import annotations

import copy

import pytest
from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import UID

from imaging.dicom.deidentify import (
    DEIDENTIFICATION_METHOD,
    EMPTIED,
    KEPT_UIDS,
    REMOVED,
    deidentify,
    map_uid,
)
from imaging.dicom.metadata import extract_metadata
from imaging.dicom.read import read_dicom
from tests.imaging.dicom_factory import (
    DX_FOR_PRESENTATION,
    FRAME_OF_REFERENCE_UID,
    LIMITS,
    REFERENCED_IMAGE_UID,
    SERIES_UID,
    STUDY_UID,
    JPEG2000Lossless,
    make_dx,
    to_bytes,
)

KEY = b"test-key-not-a-secret"

# Every identifying value the factory writes, wherever it sits (patient, study, equipment,
# private blocks, nested items, file meta).
PHI = [
    "Synthetic^Testpatient",
    "Testpatient",
    "SYN-000123",
    "SYNTH-HOSPITAL",
    "19650704",
    "058Y",
    "Imaginary Road",
    "+00 000 000 000",
    "SYN-OTHER-1",
    "SYN-OTHER-2",
    "OTHER SITE",
    "Maiden^Synthetic",
    "Synthetic comment",
    "Raynaud since 2001",
    "ACC-998877",
    "S-4711",
    "Referrer^Fictional",
    "Performer^Fictional",
    "Reader^Fictional",
    "Operator^Fictional",
    "Synthetic General Hospital",
    "Nowhere Lane",
    "Synthetic Radiology",
    "SYNTH-XR-01",
    "SN-0000-TEST",
    "Nested Synthetic Clinic",
    "nested private PHI",
    "SYNTH_MODALITY",
    "RP-1",
    "SPS-1",
    "calcinosis follow-up",
]


def _walk(ds: Dataset):
    """Every element at every nesting level."""
    for elem in ds:
        yield elem
        if elem.VR == "SQ":
            for item in elem.value:
                yield from _walk(item)


def _two_files_of_one_study() -> tuple[Dataset, Dataset]:
    """PA and oblique of one study; the oblique references the PA image."""
    pa = make_dx(sop_instance_uid="1.2.826.0.1.3680043.8.498.21")
    oblique = make_dx(sop_instance_uid="1.2.826.0.1.3680043.8.498.22", view_position="OBL")
    oblique.ReferencedImageSequence[0].ReferencedSOPInstanceUID = pa.SOPInstanceUID
    return pa, oblique


def test_table_keywords_are_dicom_keywords():
    """A typo in the action table would silently keep an attribute."""
    unknown = [kw for kw in (*REMOVED, *EMPTIED, *KEPT_UIDS) if tag_for_keyword(kw) is None]
    assert unknown == []
    assert not REMOVED & EMPTIED


def test_no_identifying_value_survives_in_the_written_file():
    """None of the factory's PHI strings appears anywhere in the de-identified file's bytes."""
    data = to_bytes(deidentify(make_dx(), uid_key=KEY))
    found = [phi for phi in PHI if phi.encode() in data]
    assert found == []


@pytest.mark.parametrize("keyword", sorted(REMOVED & set(make_dx().dir())))
def test_removed_attributes_are_gone(keyword):
    """Each X attribute present in the fixture is removed."""
    assert keyword not in deidentify(make_dx(), uid_key=KEY)


@pytest.mark.parametrize(
    "keyword",
    ["PatientBirthDate", "PatientSex", "AccessionNumber", "ReferringPhysicianName", "StudyID"],
)
def test_type_2_attributes_are_kept_empty(keyword):
    """Z attributes stay present (Type 2 in the DX IOD) with a zero-length value."""
    out = deidentify(make_dx(), uid_key=KEY)
    assert keyword in out
    assert out[keyword].is_empty


def test_patient_name_and_id_take_the_pseudonym():
    """Empty by default; the registry's pseudonym when given."""
    out = deidentify(make_dx(), uid_key=KEY)
    assert out.PatientName == "" and out.PatientID == ""
    named = deidentify(make_dx(), uid_key=KEY, patient_pseudonym="CALC-0042")
    assert named.PatientName == "CALC-0042" and named.PatientID == "CALC-0042"


def test_private_tags_are_removed_at_every_level():
    """The private block at the top level and the one inside a sequence item are gone."""
    out = deidentify(make_dx(), uid_key=KEY)
    assert [elem.tag for elem in _walk(out) if elem.tag.is_private] == []
    assert not any(elem.tag.is_private for elem in out.file_meta)


def test_nested_sequences_are_cleaned():
    """Identifying sequences are removed; kept ones lose the PHI inside their items."""
    out = deidentify(make_dx(), uid_key=KEY)
    for keyword in (
        "OtherPatientIDsSequence",
        "RequestAttributesSequence",
        "ReferencedPatientSequence",
    ):
        assert keyword not in out
    item = out.ReferencedImageSequence[0]
    assert "InstitutionName" not in item
    assert item.ReferencedSOPClassUID == DX_FOR_PRESENTATION
    assert item.ReferencedSOPInstanceUID == map_uid(REFERENCED_IMAGE_UID, KEY)


def test_instance_uids_are_mapped_and_class_uids_kept():
    """Study, series, SOP instance and frame of reference get keyed UIDs; SOP class stays."""
    ds = make_dx(transfer_syntax=JPEG2000Lossless)
    out = deidentify(ds, uid_key=KEY)
    assert out.StudyInstanceUID == map_uid(STUDY_UID, KEY)
    assert out.SeriesInstanceUID == map_uid(SERIES_UID, KEY)
    assert out.SOPInstanceUID == map_uid(ds.SOPInstanceUID, KEY)
    assert out.FrameOfReferenceUID == map_uid(FRAME_OF_REFERENCE_UID, KEY)
    assert out.SOPClassUID == DX_FOR_PRESENTATION
    assert out.file_meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID
    assert out.file_meta.MediaStorageSOPClassUID == DX_FOR_PRESENTATION
    assert out.file_meta.TransferSyntaxUID == JPEG2000Lossless
    assert "SourceApplicationEntityTitle" not in out.file_meta


def test_uids_stay_consistent_across_files_of_one_study():
    """Two files of one study share study and series UIDs, and the reference still resolves."""
    pa, oblique = (deidentify(ds, uid_key=KEY) for ds in _two_files_of_one_study())
    assert pa.StudyInstanceUID == oblique.StudyInstanceUID != STUDY_UID
    assert pa.SeriesInstanceUID == oblique.SeriesInstanceUID
    assert pa.SOPInstanceUID != oblique.SOPInstanceUID
    assert oblique.ReferencedImageSequence[0].ReferencedSOPInstanceUID == pa.SOPInstanceUID


def test_map_uid_is_deterministic_keyed_and_valid():
    """Same key, same UID; another key, another UID; a valid 2.25 UID of at most 64 chars."""
    mapped = map_uid(STUDY_UID, KEY)
    assert mapped == map_uid(STUDY_UID, KEY) == map_uid(STUDY_UID + "\0", KEY)
    assert mapped != map_uid(STUDY_UID, b"another key")
    assert mapped != map_uid(SERIES_UID, KEY)
    assert mapped.startswith("2.25.")
    assert len(mapped) <= 64
    assert UID(mapped).is_valid


def test_clinical_and_geometric_attributes_survive():
    """Laterality, view, body part, spacing, photometric, pixels and full dates are kept."""
    ds = make_dx(
        magnification_factor=1.25, pixel_spacing=(0.085, 0.085), calibration_type="FIDUCIAL"
    )
    out = deidentify(ds, uid_key=KEY)
    for keyword in (
        "ImageLaterality",
        "ViewPosition",
        "BodyPartExamined",
        "ImagerPixelSpacing",
        "EstimatedRadiographicMagnificationFactor",
        "PixelSpacing",
        "PixelSpacingCalibrationType",
        "PhotometricInterpretation",
        "PixelData",
        "StudyDate",
        "StudyTime",
        "AcquisitionDate",
        "ContentDate",
        "AcquisitionDateTime",
        "Modality",
        "Manufacturer",
    ):
        assert out[keyword].value == ds[keyword].value, keyword
    before, after = extract_metadata(ds), extract_metadata(out)
    assert (after.laterality, after.view, after.body_part_examined) == ("left", "pa", "HAND")
    assert after.pixel_spacing == before.pixel_spacing
    assert after.acquisition_date == before.acquisition_date


def test_deidentification_is_recorded():
    """(0012,0062) YES, (0012,0063) text, (0012,0064) codes 113100 and 113106, (0028,0303)."""
    out = deidentify(make_dx(), uid_key=KEY)
    assert out.PatientIdentityRemoved == "YES"
    assert out.DeidentificationMethod == DEIDENTIFICATION_METHOD
    assert len(DEIDENTIFICATION_METHOD) <= 64  # LO
    codes = [
        (item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning)
        for item in out.DeidentificationMethodCodeSequence
    ]
    assert codes == [
        ("113100", "DCM", "Basic Application Confidentiality Profile"),
        ("113106", "DCM", "Retain Longitudinal Temporal Information Full Dates Option"),
    ]
    assert out.LongitudinalTemporalInformationModified == "UNMODIFIED"


def test_burned_in_annotation_is_kept_for_review():
    """Pixels are not cleaned: a YES flag survives so the caller can queue a review."""
    ds = make_dx()
    ds.BurnedInAnnotation = "YES"
    out = deidentify(ds, uid_key=KEY)
    assert out.PixelData == ds.PixelData
    assert extract_metadata(out).burned_in_annotation is True


def test_overlays_group_lengths_and_icons_are_removed():
    """An overlay group (60xx), a group length and an icon image (may show a label) go."""
    ds = make_dx()
    ds.add_new(0x60000010, "US", 4)  # Overlay Rows
    ds.add_new(0x60003000, "OW", b"\xff" * 8)  # Overlay Data
    ds.add_new(0x00080000, "UL", 1234)  # a group length that the edits would make wrong
    ds.IconImageSequence = Sequence([Dataset()])
    out = deidentify(ds, uid_key=KEY)
    assert [elem.tag for elem in out if elem.tag.group == 0x6000 or elem.tag.element == 0] == []
    assert "IconImageSequence" not in out


def test_deidentify_returns_a_copy():
    """The caller's dataset is not modified."""
    ds = make_dx()
    snapshot = copy.deepcopy(ds)
    deidentify(ds, uid_key=KEY)
    assert ds == snapshot


def test_deidentified_file_is_still_a_valid_upload():
    """The result writes and reads back through read_dicom, pixels intact."""
    ds = make_dx(transfer_syntax=JPEG2000Lossless)
    read = read_dicom(to_bytes(deidentify(ds, uid_key=KEY)), limits=LIMITS)
    assert read.pixel_array.shape == (128, 96)


def test_an_empty_key_is_refused():
    """Without a secret key the 2.25 UIDs could be recomputed from the originals."""
    with pytest.raises(ValueError):
        deidentify(make_dx(), uid_key=b"")
