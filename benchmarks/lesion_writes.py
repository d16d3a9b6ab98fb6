"""What answering a created lesion with its track costs (issue #16).

``POST /api/v1/radiographs/{id}/lesions/`` matches the new lesion to its deposit in the request
(:func:`imaging.services.lesion_save_matched`: the patient's progression recomputed, in a
savepoint, without waiting for busy rows). A lesion on a deposit the user chose skips that step.
Both are measured in the same run, in-process (Django's test client, production middleware, a
token as API clients use), on one demo patient whose history grows as the run adds lesions, so
the figures are of a patient with tens of lesions, not of an empty one.

Needs ``CELERY_BROKER_URL`` (as in production: the write only queues the recomputation after
commit; without a broker the embedded default would run it in the request, both kinds alike).
The queued messages are purged at the end; no worker is started.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import date, timedelta

ROUNDS = 60  # lesions per kind (each on its own radiograph date: a new timepoint)
CENTER = "demo-north"
CLINICIAN = f"clinician@{CENTER}.example.org"
SITE = {"digit": 2, "segment": "middle_phalanx", "tissue": "soft_tissue"}


def _post_ms(client, path: str, body: dict) -> tuple[float, dict]:
    started = time.perf_counter()
    response = client.post(path, body, content_type="application/json")
    took = (time.perf_counter() - started) * 1000
    assert response.status_code == 201, response.content
    return took, response.json()


def _figures(name: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"  {name:<52} p50 {statistics.median(ordered):6.1f} ms   p95 {p95:6.1f} ms"


def run(*, patients: int) -> None:
    from io import StringIO

    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import Center
    from accounts.services import token_create, user_add
    from imaging.models import CalcinosisLesion, Radiograph
    from imaging.services import radiograph_save
    from patients.models import Patient

    if settings.CELERY_TASK_ALWAYS_EAGER:
        print("lesion writes: set CELERY_BROKER_URL (a broker, as in production); skipped.")
        return
    if not Patient.objects.exists():
        # One patient's write does not depend on the cohort's size: a small demo suffices.
        call_command("seed_demo", "--patients", "200", stdout=StringIO(), stderr=StringIO())
    clinician = user_add(email=CLINICIAN, center=Center.objects.get(code=CENTER), role="clinician")
    token = token_create(user=clinician, name="benchmark")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", SERVER_NAME="localhost")
    patient = Patient.objects.filter(center__code=CENTER).order_by("pk").first()
    day = date(2000, 1, 1)

    def radiograph() -> Radiograph:
        nonlocal day
        day += timedelta(days=30)
        return radiograph_save(
            radiograph=Radiograph(
                patient=patient, acquired_on=day, body_region="hand", laterality="left", view="pa"
            )
        )

    first = _post_ms(
        client,
        f"/api/v1/radiographs/{radiograph().pk}/lesions/",
        {"longest_diameter_mm": 5.0, **SITE},
    )[1]
    automatic, chosen = [], []
    for index in range(ROUNDS):
        mm = 5.0 + (index % 7) * 0.4
        took, answer = _post_ms(
            client,
            f"/api/v1/radiographs/{radiograph().pk}/lesions/",
            {"longest_diameter_mm": mm, **SITE},
        )
        assert answer["track"] is not None, answer  # matched in the request
        automatic.append(took)
        took, _ = _post_ms(
            client,
            f"/api/v1/radiographs/{radiograph().pk}/lesions/",
            {"longest_diameter_mm": mm, "track": first["track"], **SITE},
        )
        chosen.append(took)
    lesions = CalcinosisLesion.objects.filter(radiograph__patient=patient).count()
    print(
        f"lesion writes: POST /api/v1/radiographs/{{id}}/lesions/, in-process, one patient "
        f"growing to {lesions} lesions on {2 * ROUNDS + 1} radiograph dates, {ROUNDS} each:"
    )
    print(_figures("deposit matched in the request (track answered)", automatic))
    print(_figures("deposit chosen by the user (no matching)", chosen))
    extra = statistics.median(automatic) - statistics.median(chosen)
    print(f"  the matching adds {extra:.1f} ms at the median")
    from registry.celery import app

    app.control.purge()  # the recomputations the writes queued: no worker runs them here
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"  load average (1, 5, 15 min) after the run: {load}")
