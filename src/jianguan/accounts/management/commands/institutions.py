"""`jianguan institutions add --code CODE --name NAME`, `jianguan institutions list`, and
`jianguan institutions set --code CODE --north|--south --urban|--rural` (where the centre is:
China-PAR's region inputs).

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
        region = sub.add_parser("set", help="set where the institution is (for China-PAR)")
        region.add_argument("--code", required=True)
        side = region.add_mutually_exclusive_group()
        side.add_argument("--north", dest="north", action="store_const", const=True)
        side.add_argument("--south", dest="north", action="store_const", const=False)
        area = region.add_mutually_exclusive_group()
        area.add_argument("--urban", dest="urban", action="store_const", const=True)
        area.add_argument("--rural", dest="urban", action="store_const", const=False)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "add":
            self._add(options["code"], options["name"])
        elif options["action"] == "set":
            self._set(options["code"], options.get("north"), options.get("urban"))
        else:
            self._list()

    def _set(self, code: str, north: bool | None, urban: bool | None) -> None:
        institution = next((i for i in selectors.institutions() if i.code == code), None)
        if institution is None:
            raise CommandError(f"no institution with code {code!r}")
        if north is None and urban is None:
            raise CommandError("say --north or --south, and/or --urban or --rural")
        services.set_institution_region(Actor.system("cli"), institution, north=north, urban=urban)
        self.stdout.write(
            f"institution {code}: north={institution.region_north} urban={institution.region_urban}"
        )

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
