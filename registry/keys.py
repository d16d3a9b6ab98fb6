"""The registry's keyed hashes take their key from one setting, or derive it from SECRET_KEY.

One rule for the DICOM UID key, the export key and the erasure key: a configured key is used as
given; without one, an HMAC of SECRET_KEY and a label of the key's own purpose, so that keys of
different purposes never coincide. Without either the operation refuses to run.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def configured_or_derived_key(setting: str, *, label: bytes, purpose: str) -> bytes:
    """``settings.<setting>`` encoded, else HMAC-SHA256(SECRET_KEY, ``label``)."""
    configured = getattr(settings, setting)
    if configured:
        return configured.encode()
    if not settings.SECRET_KEY:
        raise RuntimeError(f"Set {setting} (or SECRET_KEY) to {purpose}.")
    return hmac.new(settings.SECRET_KEY.encode(), label, hashlib.sha256).digest()
