from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        from api.utc import use_utc_for_model_datetimes

        use_utc_for_model_datetimes()
