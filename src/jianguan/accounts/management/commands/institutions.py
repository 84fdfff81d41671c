"""`jianguan institutions add --code CODE --name NAME` and `jianguan institutions list`.

With `jianguan users add --role institution_admin` this bootstraps a site: there is no Django
superuser (D-10, AUTHN-14).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jianguan.core.actors import Actor

from ... import selectors
from ...services import users as services


class Command(BaseCommand):
    help = "Add or list institutions (the tenants)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add an institution")
        add.add_argument("--code", required=True, help="short code, e.g. 'xh-tijian'")
        add.add_argument("--name", required=True, help="display name, e.g. '协和体检中心'")
        sub.add_parser("list", help="list institutions")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "add":
            self._add(options["code"], options["name"])
        else:
            self._list()

    def _add(self, code: str, name: str) -> None:
        try:
            institution = services.create_institution(Actor.system("cli"), code=code, name=name)
        except services.UserAdminError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(f"institution {institution.code} created (id {institution.pk})")

    def _list(self) -> None:
        for institution in selectors.institutions():
            demo = " [demo]" if institution.is_demo else ""
            self.stdout.write(f"{institution.code}\t{institution.name}\t{institution.pk}{demo}")
