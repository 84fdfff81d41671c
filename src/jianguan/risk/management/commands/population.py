"""`jianguan population [--institution CODE]`: recompute the population counts now.

Runs the nightly job (risk.jobs) at once — for one institution, or for every institution —
and prints the counts per model and category, tab-separated. The run replaces the stored
counts and is audited like the nightly run.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jianguan.accounts import selectors as accounts

from ... import jobs


class Command(BaseCommand):
    help = "Recompute the population risk counts now and print them (docs/operations.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--institution", metavar="CODE", help="only this institution")

    def handle(self, *args: Any, **options: Any) -> None:
        code = options.get("institution")
        if code:
            institution = accounts.institution_by_code(code)
            if institution is None:
                raise CommandError(f"no institution with code {code!r}")
            institutions = [institution]
        else:
            institutions = list(accounts.institutions())
        for institution in institutions:
            run = jobs.run_for(institution)
            self.stdout.write(f"# {institution.code}\tcustomers\t{run.customers}")
            for model_id, by_category in run.counts.items():
                for category, count in by_category.items():
                    self.stdout.write(f"{institution.code}\t{model_id}\t{category}\t{count}")
