"""`jianguan audit verify | head | prove --entry N | public-key` (D-06).

verify      recompute the ledger and check every signed head; exit 1 naming the first bad entry
head        sign the current tree and append the head to the heads file; print it as JSON
prove       print an inclusion proof of entry N against a signed head (written if none covers N)
public-key  print the head-signing public key (PEM) for offline verifiers
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jianguan.audit import heads, proofs
from jianguan.audit.verify import verify_ledger


class Command(BaseCommand):
    help = "Verify the audit ledger, write a signed tree head, or prove an entry's inclusion"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        sub.add_parser("verify", help="check every entry, the keyed chain and every signed head")
        sub.add_parser("head", help="write and print a signed tree head")
        prove = sub.add_parser("prove", help="print an inclusion proof for one entry")
        prove.add_argument("--entry", type=int, required=True, help="the entry's seq (from 1)")
        sub.add_parser("public-key", help="print the head-signing public key (PEM)")

    def handle(self, *args: Any, **options: Any) -> None:
        match options["subcommand"]:
            case "verify":
                result = verify_ledger()
                if not result.ok:
                    self.stdout.write(result.summary())
                    raise CommandError(result.summary(), returncode=1)
                self.stdout.write(result.summary())
            case "head":
                try:
                    head = heads.write_head()
                except heads.HeadError as exc:
                    raise CommandError(str(exc), returncode=1) from exc
                self.stdout.write(json.dumps(head, indent=2, sort_keys=True))
            case "prove":
                try:
                    proof = proofs.prove_entry(options["entry"])
                except (proofs.ProveError, heads.HeadError) as exc:
                    raise CommandError(str(exc), returncode=1) from exc
                self.stdout.write(json.dumps(proof, indent=2, sort_keys=True, ensure_ascii=False))
            case "public-key":
                self.stdout.write(heads.public_key_pem().rstrip("\n"))
