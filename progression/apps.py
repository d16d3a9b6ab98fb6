from django.apps import AppConfig


class ProgressionConfig(AppConfig):
    name = "progression"

    def ready(self) -> None:
        from progression import signals  # noqa: F401  (connects the deletion receivers)
        from registry import lookups  # noqa: F401  (registers field__any_of)
