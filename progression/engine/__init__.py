"""The progression engine: pure Python, no Django and no ORM (DOMAIN.md, "Calcinosis progression").

``inputs`` (the plain values it takes), ``rules`` (the thresholds), ``matching`` (lesions to
tracks), ``grading`` (:func:`progression.engine.grading.compute_progression`, the entry point),
``results`` (what it returns) and ``cohort`` (the cohort statistics: Kaplan-Meier, bands).
"""
