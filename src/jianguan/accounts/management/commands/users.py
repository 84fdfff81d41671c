"""`jianguan users add | disable | link | list`: staff accounts from the operator's shell.

Nobody sets a password here either (AUTHN-12): `add` and `link` print a one-time activation or
reset link path, once. Every change is audited with the system actor "cli".
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jianguan.core.actors import Actor
from jianguan.core.errors import JianguanError

from ... import selectors
from ...models import Institution, User
from ...services import users as services


class Command(BaseCommand):
    help = "Add, disable or list staff users; print a one-time activation or reset link."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a user and print its activation link once")
        add.add_argument("--institution", required=True, help="institution code")
        add.add_argument("--username", required=True)
        add.add_argument(
            "--role", action="append", required=True, help="role code; repeat for several"
        )
        add.add_argument("--full-name", default="")
        add.add_argument("--mobile", default="")
        add.add_argument("--email", default="")
        disable = sub.add_parser("disable", help="disable a user and end its sessions")
        disable.add_argument("--username", required=True)
        link = sub.add_parser("link", help="print a new activation or password-reset link")
        link.add_argument("--username", required=True)
        listing = sub.add_parser("list", help="list the users of an institution")
        listing.add_argument("--institution", required=True, help="institution code")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "add":
                self._add(options)
            elif action == "disable":
                self._disable(options["username"])
            elif action == "link":
                self._link(options["username"])
            else:
                self._list(options["institution"])
        except JianguanError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc

    def _institution(self, code: str) -> Institution:
        institution = selectors.institution_by_code(code)
        if institution is None:
            raise CommandError(f"unknown_institution: no institution with code {code!r}")
        return institution

    def _user(self, username: str) -> tuple[Actor, User]:
        institution_id = selectors.institution_of_username(username)
        if institution_id is None:
            raise CommandError(f"unknown_user: no user named {username!r}")
        actor = Actor.system("cli", institution_id)
        user = selectors.user_for_username(actor, username)
        if user is None:
            raise CommandError(f"unknown_user: no user named {username!r}")
        return actor, user

    def _add(self, options: dict[str, Any]) -> None:
        institution = self._institution(options["institution"])
        link = services.create_user(
            Actor.system("cli", institution.pk),
            username=options["username"],
            roles=options["role"],
            full_name=options["full_name"],
            mobile=options["mobile"],
            email=options["email"],
        )
        self.stdout.write(
            f"user {link.user.username} created in {institution.code} "
            f"with roles {', '.join(sorted(link.user.role_codes))}"
        )
        self._print_link(link)

    def _disable(self, username: str) -> None:
        actor, user = self._user(username)
        services.disable_user(actor, user)
        self.stdout.write(f"user {user.username} disabled; all of its sessions ended")

    def _link(self, username: str) -> None:
        actor, user = self._user(username)
        self._print_link(services.issue_password_link(actor, user))

    def _print_link(self, link: services.IssuedLink) -> None:
        kind = "password reset" if link.purpose == "reset" else "activation"
        # The site's address (JIANGUAN_SITE_URL) in front, so the link can be handed over as is.
        site = getattr(settings, "JIANGUAN_SITE_URL", "").rstrip("/")
        self.stdout.write(f"{kind} link (shown once, single use): {site}{link.path}")

    def _list(self, code: str) -> None:
        institution = self._institution(code)
        actor = Actor.system("cli", institution.pk)
        users = selectors.with_roles(list(selectors.user_list(actor)))
        for user in users:
            status = "active" if user.is_active else "disabled"
            mfa = "mfa" if getattr(user, "mfa_enrolled", False) else "no-mfa"
            roles = ",".join(sorted(user.role_codes)) or "-"
            self.stdout.write(f"{user.username}\t{roles}\t{status}\t{mfa}")
