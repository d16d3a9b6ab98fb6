"""The DICOM C-STORE receiver (pynetdicom 3): a PACS or modality pushes radiographs to us.

Storage SCP (PS3.4 Annex B) for CR, DX for presentation and for processing, and secondary
capture, plus the Verification SCP (C-ECHO, PS3.4 Annex A). Associations are accepted only
from the calling AE titles configured in REGISTRY_DICOM_CALLING_AE, each mapped to the center
that receives its images; any other is rejected at association (A-ASSOCIATE-RJ, "calling AE
title not recognised", PS3.8 9.3.4). Each C-STORE runs the one ingest pipeline on the bytes
as received (no decode and re-encode) and answers once the image is committed. pynetdicom runs
each association in its own thread, so the database connection of that thread is closed when
the association ends; previews are enqueued once per association.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from django.db import close_old_connections, connection
from pynetdicom import AE, _config, evt
from pynetdicom.events import Event
from pynetdicom.sop_class import Verification

from accounts.models import Center
from imaging.dicom import ingest
from imaging.dicom.limits import (
    DECODE_OUT_OF_MEMORY,
    DECODE_TIMEOUT,
    IMAGE_TOO_LARGE,
    INFLATED_TOO_LARGE,
)
from imaging.dicom.previews import collect_previews, previews_enqueue
from imaging.dicom.read import (
    ACCEPTED_SOP_CLASSES,
    ACCEPTED_TRANSFER_SYNTAXES,
    NO_PIXEL_DATA,
    UNSUPPORTED_SOP_CLASS,
)
from imaging.models import DicomInstance
from registry.audit import Source, audit_context

logger = logging.getLogger(__name__)

# C-STORE response statuses (PS3.4 B.2.3, PS3.7 C)
SUCCESS = 0x0000
OUT_OF_RESOURCES = 0xA700
DATA_SET_DOES_NOT_MATCH_SOP_CLASS = 0xA900
CANNOT_UNDERSTAND = 0xC000
# Over a size or decoding limit (imaging.dicom.limits): "Refused: Out of Resources", as for a
# file too large; any other rejection (a structure we will not walk too): "Cannot Understand".
STATUS_OF_REJECTION = {
    ingest.TOO_LARGE: OUT_OF_RESOURCES,
    IMAGE_TOO_LARGE: OUT_OF_RESOURCES,
    INFLATED_TOO_LARGE: OUT_OF_RESOURCES,
    DECODE_OUT_OF_MEMORY: OUT_OF_RESOURCES,
    DECODE_TIMEOUT: OUT_OF_RESOURCES,
    NO_PIXEL_DATA: DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
    UNSUPPORTED_SOP_CLASS: DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
}
# Largest PDU we accept (PS3.8 9.3.1): large PDUs mean fewer to parse per image.
MAXIMUM_PDU_SIZE = 4 * 1024 * 1024


def centers_by_calling_ae(mapping: dict[str, str]) -> dict[str, Center]:
    """Calling AE title -> Center, from REGISTRY_DICOM_CALLING_AE; ValueError if one is unknown."""
    centers = {center.code: center for center in Center.objects.filter(code__in=mapping.values())}
    unknown = sorted({code for code in mapping.values() if code not in centers})
    if unknown:
        raise ValueError(f"REGISTRY_DICOM_CALLING_AE names unknown centers: {', '.join(unknown)}")
    return {title.strip(): centers[code] for title, code in mapping.items()}


@dataclass
class Receiver:
    """The event handlers of one running receiver and the previews pending per association."""

    centers: dict[str, Center]
    _pending: dict[int, list[int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handlers(self) -> list[tuple]:
        return [
            (evt.EVT_C_ECHO, self.on_echo),
            (evt.EVT_C_STORE, self.on_store),
            (evt.EVT_RELEASED, self.on_end),
            (evt.EVT_ABORTED, self.on_end),
        ]

    def on_echo(self, event: Event) -> int:
        return SUCCESS

    def on_store(self, event: Event) -> int:
        center = self.centers.get(event.assoc.requestor.ae_title.strip())
        if center is None:  # association negotiation filters these; never store for no center
            return CANNOT_UNDERSTAND
        close_old_connections()  # a connection broken since the last image is replaced
        with self._lock:
            pending = self._pending.setdefault(id(event.assoc), [])
        try:
            # the receiver is a manage.py command: its history rows say "cli"
            with audit_context(Source.CLI), collect_previews(pending):
                result = ingest.radiograph_ingest(
                    event.encoded_dataset(), center=center, via=DicomInstance.Via.SCP
                )
        except Exception:  # a database outage, a full disk: answer, log, keep serving
            logger.exception("C-STORE failed for center %s", center.code)
            connection.close()
            return OUT_OF_RESOURCES
        if result.outcome == ingest.REJECTED:
            return STATUS_OF_REJECTION.get(result.reason, CANNOT_UNDERSTAND)
        return SUCCESS

    def on_end(self, event: Event) -> None:
        """Released or aborted: enqueue this association's previews, close its connection."""
        with self._lock:
            pending = self._pending.pop(id(event.assoc), [])
        try:
            if pending:
                previews_enqueue(pending)
        finally:
            connection.close()


def build_ae(ae_title: str, centers: dict[str, Center]) -> tuple[AE, Receiver]:
    """The application entity with its contexts, AE title checks and handlers."""
    _config.LOG_REQUEST_IDENTIFIERS = False  # pynetdicom must never log patient attributes
    _config.LOG_RESPONSE_IDENTIFIERS = False
    _config.STORE_RECV_CHUNKED_DATASET = False  # received bytes stay in memory, never on disk
    ae = AE(ae_title=ae_title)
    ae.require_called_aet = True
    ae.require_calling_aet = sorted(centers)
    ae.maximum_pdu_size = MAXIMUM_PDU_SIZE
    ae.add_supported_context(Verification)
    for sop_class in ACCEPTED_SOP_CLASSES:
        ae.add_supported_context(sop_class, list(ACCEPTED_TRANSFER_SYNTAXES))
    return ae, Receiver(centers=centers)
