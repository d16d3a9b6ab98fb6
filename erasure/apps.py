from django.apps import AppConfig


class ErasureConfig(AppConfig):
    name = "erasure"
    verbose_name = "Erasure"

    def ready(self) -> None:
        from erasure import sqlite  # noqa: F401  (connects the SQLite secure_delete receiver)
