"""`jianguan keys init | status | rotate | rewrap | retire --below N | replay-deletions` (D-04).

A normal KEK rotation is `rotate`, then `rewrap`, then `retire --below <new version>`. After the
key store was restored from a backup, `replay-deletions` erases again what was erased since.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from jianguan.core import keyadmin
from jianguan.core.actors import Actor
from jianguan.core.errors import JianguanError


class Command(BaseCommand):
    help = "Show and manage the key-encryption keys and the data-key store"

    def add_arguments(self, parser: CommandParser) -> None:
        ops = parser.add_subparsers(dest="operation", required=True, metavar="OPERATION")
        ops.add_parser("init", help="create the key file and key store of a new installation")
        ops.add_parser("status", help="KEK versions, data keys per version, erasures, problems")
        ops.add_parser("rotate", help="create a new KEK version for new data keys")
        ops.add_parser("rewrap", help="re-wrap every data key under the current KEK version")
        retire = ops.add_parser("retire", help="delete KEK versions below N (after rewrap)")
        retire.add_argument("--below", type=int, required=True, metavar="N")
        ops.add_parser("replay-deletions", help="re-apply the deletion log after a restore")

    def handle(self, *args: Any, **options: Any) -> None:
        operation = options["operation"]
        actor = Actor.system("cli")
        try:
            if operation == "init":
                created = keyadmin.init_keys(actor=actor)
                if created:
                    self.stdout.write("Created (back them up, apart from the database):")
                    for path in created:
                        self.stdout.write(f"  {path}")
                else:
                    self.stdout.write("Keys are in place; nothing to create.")
            elif operation == "status":
                self._status()
            elif operation == "rotate":
                version = keyadmin.rotate(actor=actor)
                self.stdout.write(
                    f"KEK version {version} is now current: new data keys are wrapped with it.\n"
                    "Run `jianguan keys rewrap` to move the existing data keys to it."
                )
            elif operation == "rewrap":
                count = keyadmin.rewrap(actor=actor)
                self.stdout.write(f"Re-wrapped {count} data key(s) under the current KEK version.")
            elif operation == "retire":
                below = options["below"]
                keyadmin.retire_below(below, actor=actor)
                self.stdout.write(f"KEK versions below {below} are retired and deleted.")
            elif operation == "replay-deletions":
                count = keyadmin.replay_deletions(actor=actor)
                self.stdout.write(f"Deleted {count} data key(s) named in the deletion log.")
        except JianguanError as exc:
            raise CommandError(f"{exc.message} [{exc.code}]") from exc
        except DatabaseError as exc:
            # Key operations are audited in the main database; without it they cannot be.
            raise CommandError(
                f"the audit ledger could not be written ({type(exc).__name__}): is the database "
                "reachable and migrated (`jianguan migrate`)? Check `jianguan keys status`: "
                "the key change itself may have been applied. [audit_unavailable]"
            ) from exc

    def _status(self) -> None:
        st = keyadmin.status()
        versions = ", ".join(str(v) for v in st["kek_versions"])
        lines = [
            f"Key file:      {st['key_file']}",
            f"Key store:     {st['key_store']}",
            f"Deletion log:  {st['deletion_log']}",
            f"KEK versions:  {versions} (current {st['kek_current']}, minimum {st['kek_min']})",
            "Data keys by KEK version:",
        ]
        counts: dict[int, int] = st["wrapped_by_version"]
        if counts:
            lines += [f"  version {v}: {n}" for v, n in sorted(counts.items())]
        else:
            lines.append("  (none)")
        lines.append(f"Erased scopes: {st['deletions']}")
        if st["pending_deletions"]:
            lines.append(
                f"Erased data keys present again: {st['pending_deletions']}"
                " (restored from a backup? run `jianguan keys replay-deletions`)"
            )
        self.stdout.write("\n".join(lines))
        for problem in st["problems"]:
            self.stderr.write(f"Problem: {problem}")
