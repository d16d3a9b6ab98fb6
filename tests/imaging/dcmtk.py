"""dcmtk (Debian package) in the tests: DX files built with img2dcm + dcmodify, and dcmdump.

Recipe from shared/RECIPES.md: img2dcm writes a JPEG baseline secondary capture; dcmodify turns
it into a DX image with PHI in the patient, study and equipment modules, a nested sequence and a
private block (a private dictionary lets dcmodify insert the private element with its VR).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

from tests.conftest import missing_service
from tests.imaging.dicom_factory import PATIENT_NAME, PRIVATE_CREATOR, hand_pixels

TOOLS = ("img2dcm", "dcmodify", "dcmdump", "echoscu", "storescu")
DX_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1"


def require_dcmtk() -> None:
    """Skip locally, fail in CI (REGISTRY_REQUIRE_SERVICES=1) when dcmtk is not installed."""
    absent = [tool for tool in TOOLS if shutil.which(tool) is None]
    if absent:
        missing_service(f"dcmtk ({', '.join(absent)}): make system-packages")


def _env(folder: Path) -> dict[str, str]:
    dictionary = next(Path("/usr/share").glob("libdcmtk*/dicom.dic"), None)
    private = folder / "synthetic-private.dic"
    private.write_text(f'(0009,"{PRIVATE_CREATOR}",01)\tLO\tSyntheticPrivateName\t1\tPrivateTag\n')
    paths = [str(dictionary)] if dictionary else []
    return {**os.environ, "DCMDICTPATH": os.pathsep.join([*paths, str(private)])}


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, env=env, check=True)


def img2dcm_dx(
    folder: Path,
    *,
    name: str = "hand.dcm",
    patient_id: str = "SYN-000123",
    issuer: str = "",
    laterality: str = "L",
    rows: int = 128,
    columns: int = 96,
) -> Path:
    """A JPEG baseline DX file with PHI, built by dcmtk alone from a synthetic hand image."""
    folder.mkdir(parents=True, exist_ok=True)
    jpeg, path = folder / f"{name}.jpg", folder / name
    buffer = io.BytesIO()
    Image.fromarray(hand_pixels(rows, columns, 8).astype(np.uint8)).save(buffer, "JPEG")
    jpeg.write_bytes(buffer.getvalue())
    env = _env(folder)
    run("img2dcm", str(jpeg), str(path), env=env)
    inserts = {
        "SOPClassUID": DX_FOR_PRESENTATION,
        "Modality": "DX",
        "PresentationIntentType": "FOR PRESENTATION",
        "ImagerPixelSpacing": "0.1\\0.1",
        "ImageLaterality": laterality,
        "BodyPartExamined": "HAND",
        "ViewPosition": "PA",
        "StudyDate": "20240312",
        "AcquisitionDate": "20240312",
        "PatientName": PATIENT_NAME,
        "PatientID": patient_id,
        "PatientBirthDate": "19650704",
        "AccessionNumber": "ACC-998877",
        "InstitutionName": "Synthetic General Hospital",
        "StationName": "SYNTH-XR-01",
        "DeviceSerialNumber": "SN-0000-TEST",
        "OperatorsName": "Operator^Fictional",
        "StudyDescription": "XR HAND for Synthetic Testpatient",
        "(0008,1140)[0].ReferencedSOPClassUID": DX_FOR_PRESENTATION,
        "(0008,1140)[0].ReferencedSOPInstanceUID": "1.2.826.0.1.3680043.8.498.4711",
        "(0008,1140)[0].InstitutionName": "Nested Synthetic Clinic",
        "(0009,0010)": PRIVATE_CREATOR,
        "(0009,1001)": PATIENT_NAME,
    }
    if issuer:
        inserts["IssuerOfPatientID"] = issuer
    args = ["dcmodify", "-nb", "-gin", "-e", "ConversionType"]
    for key, value in inserts.items():
        args += ["-i", f"{key}={value}"]
    run(*args, str(path), env=env)
    jpeg.unlink()
    return path


def dcmdump(path: Path) -> str:
    """Every element, sequences expanded, long values printed in full (+L)."""
    return run("dcmdump", "+L", "-q", str(path)).stdout
