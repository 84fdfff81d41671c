"""`jianguan demo [--if-empty]` and `jianguan demo code <username>` (D-12).

Creates the demo institution and one account per role of the permission matrix, `demo-<role>`,
with a random password printed once and TOTP already enrolled, and (once) `--customers N` demo
customers with multi-year check-up histories (records.demo, default 500). There are no fixed or
default passwords anywhere (AUTHN-14). `demo code` prints the current TOTP code of a demo
account, and refuses every account outside the demo institution.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from jianguan.audit.ledger import record
from jianguan.core.actors import Actor
from jianguan.records.demo import load_demo_customers
from jianguan.records.models import Customer

from ... import matrix
from ...models import Institution, OneTimeLink, User
from ...services import auth, totp, users

DEMO_CODE = "demo"
DEMO_NAME = "健管示范体检中心"
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # noqa: S105 - an alphabet
# Made-up names for the demo staff, one per role.
DEMO_NAMES = {
    "institution_admin": "赵静",
    "security_admin": "钱磊",
    "auditor": "孙丽",
    "doctor": "李明",
    "health_manager": "周芳",
    "nurse": "吴婷",
    "front_desk": "郑洁",
    "followup_agent": "王强",
}


def demo_username(role: str) -> str:
    return f"demo-{role}"


def random_password(user: User) -> str:
    """Four groups of four random characters (80 bits) that pass the password rules."""
    while True:
        password = "-".join(
            "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(4)
        )
        try:
            auth.validate_new_password(password, user)
        except ValidationError:
            continue
        return password


class Command(BaseCommand):
    help = "Create the demo institution and one account per role; `demo code USER` prints a code"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", nargs="?", choices=["code"], help="code: print a TOTP code")
        parser.add_argument("username", nargs="?", help="a demo account, for `demo code`")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when any institution exists (used by `make run`)",
        )
        parser.add_argument(
            "--customers",
            type=int,
            default=None,
            help="demo customers to create when the demo institution has none "
            "(default: the JIANGUAN_DEMO_CUSTOMERS setting, 500)",
        )

        parser.add_argument(
            "--seed",
            type=int,
            default=None,
            help="seed of the demo generator: the same seed (and --today) gives the same data",
        )
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="the date the demo histories end on (YYYY-MM-DD; default: today)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "code":
            self.print_code(options["username"] or "")
            return
        if options["if_empty"] and Institution.objects.exists():
            self.stdout.write(
                "Demo data exists already: log in with a demo-<role> account (e.g. demo-doctor) "
                "using the password printed at the first run; `jianguan demo` prints new "
                "passwords. Second-factor code: `jianguan demo code demo-doctor`."
            )
            return
        accounts = self.create_or_refresh()
        count = options["customers"]
        if count is None:
            count = settings.JIANGUAN_DEMO_CUSTOMERS
        self.create_customers(
            [user for user, _, _ in accounts], count, seed=options["seed"], today=options["today"]
        )
        self.print_accounts(accounts)

    # -- demo data ------------------------------------------------------------------------------

    def create_or_refresh(self) -> list[tuple[User, str, str]]:
        """Every demo account with a new password; missing accounts and the institution created."""
        result: list[tuple[User, str, str]] = []
        with transaction.atomic():
            institution = Institution.objects.filter(code=DEMO_CODE).first()
            if institution is None:
                institution = users.create_institution(
                    Actor.system("demo"), code=DEMO_CODE, name=DEMO_NAME
                )
            if not institution.is_demo:
                institution.is_demo = True
                institution.save(update_fields=["is_demo"])
            if institution.region_north is None:  # the demo centre is in a northern city
                users.set_institution_region(
                    Actor.system("demo"), institution, north=True, urban=True
                )
            actor = Actor.system("demo", institution.pk)
            for role in matrix.roles():
                user = self.demo_user(actor, role)
                password = random_password(user)
                auth.set_new_password(user, password)
                record(
                    "auth.password_change",
                    actor=actor,
                    resource_type="user",
                    resource_id=str(user.pk),
                    purpose="demo",
                )
                device = totp.confirmed_device(user)
                if device is None:
                    device = totp.enrol_confirmed(user)
                    record(
                        "auth.mfa_enrol",
                        actor=actor,
                        resource_type="user",
                        resource_id=str(user.pk),
                        purpose="demo",
                    )
                result.append((user, password, totp.otpauth_uri(user.username, bytes(device.seed))))
        return result

    def create_customers(
        self,
        staff: list[User],
        count: int,
        *,
        seed: int | None = None,
        today: dt.date | None = None,
    ) -> None:
        """Demo customers with check-up histories, once: never added to existing ones."""
        institution = Institution.objects.get(code=DEMO_CODE)
        existing = Customer.objects.unscoped(reason="demo: any customers yet?").filter(
            institution=institution
        )
        if count <= 0 or existing.exists():
            return
        started = time.monotonic()
        extra: dict[str, Any] = {"today": today}
        if seed is not None:
            extra["seed"] = seed
        result = load_demo_customers(institution, staff, count=count, **extra)
        self.stdout.write(
            f"Created {len(result.customer_ids)} demo customers with "
            f"{result.rows.get('Visit', 0)} check-up visits and "
            f"{result.rows.get('Observation', 0)} results ({time.monotonic() - started:.0f} s)."
        )

    def demo_user(self, actor: Actor, role: str) -> User:
        username = demo_username(role)
        existing: User | None = (
            User.objects.unscoped(reason="demo accounts")
            .filter(username=username, institution_id=actor.institution_id)
            .first()
        )
        if existing is not None:
            return existing
        if User.objects.unscoped(reason="demo accounts").filter(username=username).exists():
            raise CommandError(f"{username} exists in another institution; not touching it")
        link = users.create_user(
            actor, username=username, roles=[role], full_name=DEMO_NAMES.get(role, "示范用户")
        )
        # The demo sets the password itself, so the activation link is spent at once.
        OneTimeLink.objects.filter(user=link.user, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        return link.user

    def print_accounts(self, accounts: list[tuple[User, str, str]]) -> None:
        labels = matrix.roles()
        out = self.stdout
        out.write(self.style.SUCCESS(f"Demo institution: {DEMO_NAME} (code {DEMO_CODE})"))
        out.write(
            "Passwords are shown only now. Each account needs a second-factor code at login: "
            "run the `jianguan demo code` command shown, or add the otpauth URI to an "
            "authenticator app."
        )
        for user, password, uri in accounts:
            role = next(iter(sorted(user.role_codes)), "")
            out.write("")
            out.write(f"  {user.username}  ({labels.get(role, role)})")
            out.write(f"    password: {password}")
            out.write(f"    otpauth:  {uri}")
            out.write(f"    code:     jianguan demo code {user.username}")

    # -- demo code --------------------------------------------------------------------------------

    def print_code(self, username: str) -> None:
        user: User | None = (
            User.objects.unscoped(reason="demo code")
            .filter(username=username, institution__is_demo=True, is_active=True)
            .first()
        )
        if user is None:
            raise CommandError(
                f"`demo code` works only for accounts of the demo institution; "
                f"{username or '(no username)'} is not one."
            )
        device = totp.confirmed_device(user)
        if device is None:
            raise CommandError(f"{username} has no authenticator enrolled.")
        left = totp.STEP - int(time.time()) % totp.STEP
        self.stdout.write(totp.current_code(device))
        self.stderr.write(f"valid for {left} more seconds; each code is accepted once")
