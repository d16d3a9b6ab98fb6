from django.apps import AppConfig


class ImagingConfig(AppConfig):
    name = "imaging"

    def ready(self) -> None:
        from imaging.dicom import file_cleanup  # noqa: F401  (connects the post_delete receiver)
