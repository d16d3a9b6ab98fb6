from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Centers and users"

    def ready(self) -> None:
        """The sign-in audit trail and the password guard listen from start-up."""
        from axes.signals import user_locked_out
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import pre_save

        from accounts import (
            oidc_checks,  # noqa: F401 (registers the SSO settings check)
            password_guard,
            sign_in_receivers,
        )

        user_logged_in.connect(sign_in_receivers.on_logged_in, dispatch_uid="registry_signed_in")
        user_login_failed.connect(sign_in_receivers.on_login_failed, dispatch_uid="registry_failed")
        user_logged_out.connect(sign_in_receivers.on_logged_out, dispatch_uid="registry_signed_out")
        user_locked_out.connect(sign_in_receivers.on_locked_out, dispatch_uid="registry_locked_out")
        pre_save.connect(
            password_guard.validate_new_password,
            sender=get_user_model(),
            dispatch_uid="registry_password_guard",
        )
