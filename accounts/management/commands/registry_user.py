"""Create users with a role in a center, manage their API tokens, unlock their sign-in and
reset their second factor, from the command line."""

from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from accounts import services
from accounts.login_throttle import login_unlock
from accounts.models import ApiToken, Center, Membership, SignInEvent
from accounts.sign_in import sign_in_event_record
from accounts.two_factor import two_factor_reset
from registry.audit import Source, audit_context

PASSWORD_REFUSED = "Password refused: "
REVOKE_WHAT = "Give a token's prefix, or --all-but-newest EMAIL."
COMMAND = "manage.py registry_user"


class Command(BaseCommand):
    help = (
        "registry_user add EMAIL --center CODE --role ROLE [--token] [--password P]; "
        "registry_user token EMAIL [--days N]; "
        "registry_user revoke PREFIX | registry_user revoke --all-but-newest EMAIL; "
        "registry_user unlock EMAIL; registry_user reset-two-factor EMAIL; registry_user list"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Create a user (or add a role in another center).")
        add.add_argument("email")
        add.add_argument("--center", required=True, help="Center code.")
        add.add_argument("--role", required=True, choices=Membership.Role.values)
        add.add_argument(
            "--password", help="Set a password for the web login (12+ characters, not common)."
        )
        add.add_argument("--token", action="store_true", help="Create an API token and print it.")
        add.add_argument("--days", type=int, default=services.DEFAULT_TOKEN_DAYS)
        token = sub.add_parser("token", help="Create another API token for a user.")
        token.add_argument("email")
        token.add_argument("--name", default="")
        token.add_argument("--days", type=int, default=services.DEFAULT_TOKEN_DAYS)
        revoke = sub.add_parser(
            "revoke",
            help="Revoke a token by its prefix (first 12 characters), or every active token of "
            "a user but the newest.",
        )
        revoke.add_argument("prefix", nargs="?")
        revoke.add_argument("--all-but-newest", metavar="EMAIL")
        unlock = sub.add_parser(
            "unlock", help="Clear a user's failed sign-ins (every address): ends a lockout."
        )
        unlock.add_argument("email")
        reset = sub.add_parser(
            "reset-two-factor",
            help="Delete a user's authenticator and backup codes and sign them out everywhere.",
        )
        reset.add_argument("email")
        sub.add_parser("list", help="List users, roles and tokens.")

    def handle(self, *args, **options):
        with audit_context(Source.CLI):
            getattr(self, f"_{options['action'].replace('-', '_')}")(options)

    def _user(self, email: str):
        try:
            return get_user_model().objects.get(username=email.lower())
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user {email}.") from exc

    def _print_token(self, raw: str, days: int) -> None:
        self.stdout.write(f"API token (shown once, valid {days} days): {raw}")
        self.stdout.write(f"Use it as: Authorization: Bearer {raw}")

    def _add(self, options):
        try:
            validate_email(options["email"])
        except ValidationError as exc:
            raise CommandError(f"{options['email']!r} is not an email address.") from exc
        try:
            center = Center.objects.get(code=options["center"])
        except Center.DoesNotExist as exc:
            codes = ", ".join(Center.objects.values_list("code", flat=True)) or "none yet"
            raise CommandError(f"No center {options['center']!r} (centers: {codes}).") from exc
        try:
            user = services.user_add(
                email=options["email"],
                center=center,
                role=options["role"],
                password=options["password"],
            )
        except ValidationError as exc:
            raise CommandError(PASSWORD_REFUSED + " ".join(exc.messages)) from exc
        self.stdout.write(f"{user.username}: {options['role']} at {center.code}")
        if options["token"]:
            self._print_token(
                services.token_create(user=user, days=options["days"]), options["days"]
            )

    def _token(self, options):
        user = self._user(options["email"])
        try:
            raw = services.token_create(user=user, name=options["name"], days=options["days"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self._print_token(raw, options["days"])
        self._print_tokens_of(user)

    def _print_tokens_of(self, user) -> None:
        """How many tokens the user now has (each with created, last used, expiry) and the
        commands that revoke the old ones: tokens pile up when every script asks for its own."""
        tokens = list(user.api_tokens.active().order_by("-created_at", "-id"))
        self.stdout.write(f"{user.username} has {len(tokens)} active token(s), newest first:")
        for token in tokens:
            self.stdout.write(f"  {token_line(token)}")
        if len(tokens) > 1:
            self.stdout.write(f"Revoke one: {COMMAND} revoke {tokens[-1].prefix}")
            self.stdout.write(
                f"Revoke all but the newest: {COMMAND} revoke --all-but-newest {user.username}"
            )

    def _revoke(self, options):
        if bool(options["prefix"]) == bool(options["all_but_newest"]):
            raise CommandError(REVOKE_WHAT)
        if options["prefix"]:
            tokens = list(ApiToken.objects.filter(prefix=options["prefix"]))
            if not tokens:
                raise CommandError(f"No token with prefix {options['prefix']!r}.")
        else:
            user = self._user(options["all_but_newest"])
            tokens = list(user.api_tokens.active().order_by("-created_at", "-id")[1:])
        for token in tokens:
            services.token_revoke(token=token)
            self.stdout.write(f"Revoked {token_line(token)}")
        self.stdout.write(f"Revoked {len(tokens)} token(s).")

    def _unlock(self, options):
        user = self._user(options["email"])
        cleared = login_unlock(username=user.get_username())
        sign_in_event_record(
            SignInEvent.Kind.UNLOCKED,
            user=user,
            detail=f"command line: {cleared} failure record(s) cleared",
        )
        self.stdout.write(
            f"{user.get_username()}: sign-in unlocked ({cleared} failure record(s) cleared)."
        )

    def _reset_two_factor(self, options):
        user = self._user(options["email"])
        deleted = two_factor_reset(user=user, actor=None)
        self.stdout.write(
            f"{user.get_username()}: second factor reset ({deleted} device(s) deleted), "
            "signed out everywhere; API tokens unchanged."
        )

    def _list(self, options):
        for membership in Membership.objects.select_related("user", "center"):
            self.stdout.write(
                f"{membership.user.username}\t{membership.role}\t{membership.center.code}"
            )
        for token in ApiToken.objects.select_related("user"):
            state = "active" if token.is_active else "inactive"
            self.stdout.write(
                f"token {token.prefix}…\t{token.user.username}\t{state}"
                f"\texpires {token.expires_at:%Y-%m-%d}"
            )


def token_line(token: ApiToken) -> str:
    """``crg_AbCdEfGh… "ci" created 2026-12-07 17:44Z, last used never, expires 2027-03-07``."""
    name = f" {token.name!r}" if token.name else ""
    used = _utc_minute(token.last_used_at) if token.last_used_at else "never"
    return (
        f"{token.prefix}…{name} created {_utc_minute(token.created_at)}, last used {used}, "
        f"expires {token.expires_at.astimezone(UTC):%Y-%m-%d}"
    )


def _utc_minute(value: datetime) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M}Z"
