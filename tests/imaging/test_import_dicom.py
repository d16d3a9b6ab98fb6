"""``manage.py import_dicom``: folders walked, DICOMDIR followed, summary and CSV report."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pydicom.fileset import FileSet

from imaging.dicom.files import dicom_paths, dicomdir_files
from imaging.models import DicomInstance, Radiograph
from tests import factories
from tests.imaging import dicom_bombs
from tests.imaging.dicom_factory import PATIENT_ID, PATIENT_NAME, make_dx, to_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def uid(n: int) -> str:
    return f"1.2.826.0.1.3680043.8.498.7{n:03d}"


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_dicom", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def dicomdir_media(folder: Path, count: int) -> Path:
    """A DICOMDIR export (PS3.10 file-set) written by pydicom, files under PT000000/..."""
    fileset = FileSet()
    for n in range(count):
        fileset.add(make_dx(sop_instance_uid=uid(100 + n)))
    fileset.write(folder)
    return folder / "DICOMDIR"


def test_folder_import_summary_and_report(center, tmp_path):
    """Loose files in nested folders: imported, duplicate, unmatched and rejected counted."""
    factories.make_patient(center, local_id=PATIENT_ID)
    source = tmp_path / "export"
    write(source / "a" / "one.dcm", to_bytes(make_dx(sop_instance_uid=uid(1))))
    write(source / "a" / "copy.dcm", to_bytes(make_dx(sop_instance_uid=uid(1))))
    stranger = make_dx(sop_instance_uid=uid(2))
    stranger.PatientID = "SOMEONE-ELSE"
    write(source / "b" / "two.dcm", to_bytes(stranger))
    write(source / "notes.txt", b"not an image")
    data = to_bytes(make_dx(sop_instance_uid=uid(3)))
    write(source / "b" / "cut.dcm", data[: len(data) // 2])
    report = tmp_path / "report.csv"

    out, err = run(str(source), "--center", "north", "--report", str(report))

    assert "Imported: 1\n" in out
    assert "Duplicates: 1\n" in out
    assert "Unmatched: 1 (no_patient: 1)\n" in out
    assert "Rejected: 2 (not_dicom: 1, truncated: 1)\n" in out
    assert "5 files" in out and "files/s" in out and "MB/s" in out
    assert "[##############################] 5/5 files" in err
    rows = list(csv.DictReader(report.open()))
    assert {Path(r["path"]).name: r["outcome"] for r in rows} == {
        "copy.dcm": "imported",  # files are taken in name order
        "one.dcm": "duplicate",
        "two.dcm": "unmatched",
        "notes.txt": "rejected",
        "cut.dcm": "rejected",
    }
    for row in rows:
        assert PATIENT_NAME not in row["detail"] and "SOMEONE-ELSE" not in row["detail"]
    assert Radiograph.objects.count() == 1
    assert set(DicomInstance.objects.values_list("received_via", flat=True)) == {"cli"}


def test_dicomdir_is_followed_and_not_imported_itself(center, tmp_path):
    """The DICOMDIR's three referenced files are imported once each; the DICOMDIR is skipped."""
    factories.make_patient(center, local_id=PATIENT_ID)
    dicomdir = dicomdir_media(tmp_path / "cd", 3)
    assert len(dicomdir_files(dicomdir)) == 3
    assert len(list(dicom_paths([tmp_path / "cd"]))) == 3

    out, _ = run(str(dicomdir), "--center", "north", "--no-progress")
    assert "Imported: 3\n" in out and "Rejected: 0\n" in out
    out, _ = run(str(tmp_path / "cd"), "--center", "north", "--no-progress")
    assert "Duplicates: 3\n" in out


def test_too_large_files_are_refused_unread(settings, center, tmp_path):
    settings.REGISTRY_DICOM_MAX_FILE_MB = 0
    path = write(tmp_path / "big.dcm", to_bytes(make_dx()))
    out, _ = run(str(path), "--center", "north", "--no-progress")
    assert "Rejected: 1 (too_large: 1)" in out


def test_finding3_bombs_are_rejected_by_reason_in_the_summary(center, tmp_path):
    """The receiver's and the upload's limits hold for import_dicom: each bomb named."""
    write(tmp_path / "in" / "jpeg.dcm", dicom_bombs.jpeg_bomb())
    write(tmp_path / "in" / "items.dcm", dicom_bombs.many_items())
    write(tmp_path / "in" / "deep.dcm", dicom_bombs.deep_nesting())
    write(tmp_path / "in" / "good.dcm", to_bytes(make_dx()))
    out, _ = run(str(tmp_path / "in"), "--center", "north", "--no-progress")
    assert "Rejected: 3 (image_too_large: 1, too_deeply_nested: 1, too_many_elements: 1)" in out
    assert DicomInstance.objects.count() == 1


def test_unknown_center_or_path_is_an_error(center, tmp_path):
    with pytest.raises(CommandError, match="No center"):
        run(str(tmp_path), "--center", "nowhere")
    with pytest.raises(CommandError, match="Not found"):
        run(str(tmp_path / "missing"), "--center", "north")
