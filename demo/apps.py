from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Synthetic demo data: the demo cohort, the teaching case and its radiographs, seed_demo."""

    name = "demo"
