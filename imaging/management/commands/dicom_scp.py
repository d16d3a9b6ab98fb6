"""Run the DICOM C-STORE receiver (imaging.dicom.receiver) until SIGINT or SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from imaging.dicom.receiver import build_ae, centers_by_calling_ae


class Command(BaseCommand):
    help = (
        "DICOM receiver: C-ECHO and C-STORE (CR, DX, secondary capture) from the calling AE "
        "titles of REGISTRY_DICOM_CALLING_AE, each stored for its center."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=11112)
        parser.add_argument("--ae-title", default="CALCREG", help="Our (called) AE title.")
        parser.add_argument(
            "--bind", default="127.0.0.1", help="Address to listen on (0.0.0.0: every interface)."
        )

    def handle(self, *args, **options):
        title = options["ae_title"]
        if not 0 < len(title) <= 16 or "\\" in title:
            raise CommandError("An AE title has 1 to 16 characters and no backslash (PS3.5 6.2).")
        mapping = settings.REGISTRY_DICOM_CALLING_AE
        if not mapping:
            raise CommandError("Set REGISTRY_DICOM_CALLING_AE, e.g. PACS1=demo-north.")
        try:
            centers = centers_by_calling_ae(mapping)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        connection.close()  # the handler threads open their own
        # pynetdicom logs every PDU at INFO; our own logger reports outcomes without identifiers
        logging.getLogger("pynetdicom").setLevel(logging.WARNING)
        ae, receiver = build_ae(title, centers)
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        server = ae.start_server(
            (options["bind"], options["port"]), block=False, evt_handlers=receiver.handlers()
        )
        callers = ", ".join(f"{ae}->{c.code}" for ae, c in sorted(centers.items()))
        self.stderr.write(
            f"DICOM receiver {title} listening on {options['bind']}:{options['port']} "
            f"(calling AE titles: {callers})"
        )
        try:
            # Wake every second: the kernel may deliver SIGTERM to a handler thread, and Python
            # runs the handler only when the main thread wakes (a bare wait() slept through it).
            while not stop.wait(timeout=1):
                pass
        finally:
            server.shutdown()
            self.stderr.write("DICOM receiver stopped.")
