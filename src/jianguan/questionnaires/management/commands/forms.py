"""`jianguan forms list | export CODE [--version N] | import FILE [--institution CODE] |
install-builtins`: questionnaire definitions as FHIR Questionnaire JSON.

Errors (a file that is not JSON, not a Questionnaire, or a definition the engine cannot use)
name what is wrong and where, and exit with status 2 — never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jianguan.accounts.models import Institution
from jianguan.core.actors import Actor

from ...models import FormDefinition
from ...services import forms

EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    help = "List, export, import and install questionnaire definitions (FHIR Questionnaire JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="every form: code, version, status, title")
        listing.add_argument("--institution", default="", help="also this institution's own forms")
        export = sub.add_parser("export", help="a form's Questionnaire JSON on stdout")
        export.add_argument("code")
        export.add_argument("--version", type=int, default=0, help="default: the newest published")
        export.add_argument("--institution", default="")
        imported = sub.add_parser("import", help="a Questionnaire JSON file as a new version")
        imported.add_argument("file")
        imported.add_argument("--institution", default="", help="default: a built-in form")
        imported.add_argument("--draft", action="store_true", help="import without publishing")
        sub.add_parser("install-builtins", help="install or update the shipped instruments")

    def handle(self, *args: Any, **options: Any) -> None:
        institution_id = self._institution(options.get("institution", ""))
        action = options["action"]
        if action == "list":
            for form in forms.visible(institution_id).order_by("code", "version"):
                owner = "built-in" if form.institution_id is None else "institution"
                self.stdout.write(
                    f"{form.code}\tv{form.version}\t{form.status}\t{owner}\t{form.title}"
                )
        elif action == "export":
            self._export(institution_id, options["code"], options["version"])
        elif action == "import":
            self._import(Path(options["file"]), institution_id, not options["draft"])
        else:
            for form in forms.install_builtins(Actor.system("forms")):
                self.stdout.write(f"installed {form.code} v{form.version}")

    def _fail(self, message: str) -> None:
        self.stderr.write(message)
        sys.exit(EXIT_BAD_INPUT)

    def _institution(self, code: str) -> Any:
        if not code:
            return None
        found = Institution.objects.filter(code=code).first()
        if found is None:
            self._fail(f"no institution with code {code!r}")
        return found.pk if found else None

    def _export(self, institution_id: Any, code: str, version: int) -> None:
        qs = forms.visible(institution_id).filter(code=code)
        form: FormDefinition | None = (
            qs.filter(version=version).first() if version else forms.latest(institution_id, code)
        )
        if form is None:
            self._fail(f"no form {code!r}" + (f" version {version}" if version else ""))
            return
        self.stdout.write(json.dumps(forms.export_definition(form), ensure_ascii=False, indent=2))

    def _import(self, path: Path, institution_id: Any, publish: bool) -> None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            self._fail(f"{path}: {exc.strerror}")
            return
        try:
            form = forms.import_definition(
                Actor.system("forms"),
                forms.parse(raw),
                institution_id=institution_id,
                publish=publish,
            )
        except forms.FormError as exc:
            self._fail(f"{path}: {exc.path or 'file'}: {exc.message_en} / {exc.message_zh}")
            return
        self.stdout.write(f"imported {form.code} v{form.version} ({form.status})")
