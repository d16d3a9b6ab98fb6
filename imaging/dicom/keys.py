"""Keys of the DICOM pipeline: the UID mapping key and the keyed patient fingerprint.

``REGISTRY_DICOM_UID_KEY`` keys both. It must outlive the secret key: the same original UID
must map to the same de-identified UID for years, or a re-sent image is no longer recognised as
a duplicate, and unmatched images of one patient no longer group together. Locally it defaults
to a value derived from SECRET_KEY; production refuses to start without it.
"""

from __future__ import annotations

import hashlib
import hmac

from registry.keys import configured_or_derived_key

_DERIVATION_LABEL = b"calcinosis-registry/dicom-uid-key/v1"
_PATIENT_LABEL = b"source-patient/v1"


def uid_key() -> bytes:
    """The key of imaging.dicom.deidentify.map_uid."""
    return configured_or_derived_key(
        "REGISTRY_DICOM_UID_KEY", label=_DERIVATION_LABEL, purpose="de-identify DICOM"
    )


def source_patient_key(*, center_id: int, issuer: str | None, patient_id: str | None) -> str:
    """HMAC-SHA256 of the center and the original (0010,0021) issuer and (0010,0020) Patient ID.

    Images of one source patient share it, so a clinician assigns them together, yet it cannot
    be turned back into the identifier (a keyed hash, not a plain one that an MRN list could be
    hashed against). "" when the file has no Patient ID: nothing to group by.
    """
    if not patient_id:
        return ""
    key = hmac.new(uid_key(), _PATIENT_LABEL, hashlib.sha256).digest()
    message = "\x1f".join([str(center_id), issuer or "", patient_id]).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
