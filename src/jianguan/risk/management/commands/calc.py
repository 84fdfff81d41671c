"""`jianguan calc MODEL --input '{json}'`: one clinical calculation, JSON on stdout.

Bad input (unknown model, malformed JSON, a missing, impossible or mistyped value) prints a JSON
error naming the input on stdout and exits with status 2, never a traceback. `--list` prints
the model ids.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jianguan.clinical import cli, models


class Command(BaseCommand):
    help = "Run one clinical model on JSON input and print the result as JSON (docs/clinical.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("model", nargs="?", help="model id, e.g. china_par")
        parser.add_argument("--input", default="{}", help="the inputs as a JSON object")
        parser.add_argument("--list", action="store_true", help="list the model ids")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"] or not options["model"]:
            for model in models():
                self.stdout.write(f"{model.id}\t{model.title_zh}\t{model.title_en}")
            return
        status, text = cli.run(options["model"], options["input"])
        self.stdout.write(text)
        if status:
            sys.exit(status)
