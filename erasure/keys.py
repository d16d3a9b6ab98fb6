"""The key of erasure tombstones: an HMAC of the registry id, never the id itself.

``REGISTRY_ERASURE_KEY`` keys it; without it the key is derived from SECRET_KEY (like
imaging.dicom.keys). A keyed hash, not a plain one: registry ids have 40 bits of entropy, so a
plain SHA-256 could be reversed by trying every id.
"""

from __future__ import annotations

import hashlib
import hmac

from registry.keys import configured_or_derived_key

_DERIVATION_LABEL = b"calcinosis-registry/erasure-key/v1"


def erasure_key() -> bytes:
    return configured_or_derived_key(
        "REGISTRY_ERASURE_KEY", label=_DERIVATION_LABEL, purpose="erase patients"
    )


def registry_id_digest(registry_id: str) -> str:
    """HMAC-SHA256 (hex) of a registry id: what a tombstone keeps."""
    return hmac.new(erasure_key(), registry_id.encode(), hashlib.sha256).hexdigest()
