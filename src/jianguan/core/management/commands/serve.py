"""`jianguan serve`: the web server plus one job worker, as `make run` starts them.

The web side is gunicorn (several workers in production; two here), the job side one django-q2
cluster (D-22). On exit a signed tree head of the audit ledger is written (D-06).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Jianguan on HOST:PORT with a job worker beside it"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--no-jobs", action="store_true", help="do not start the job worker")

    def handle(self, *args: Any, **options: Any) -> None:
        env = dict(os.environ)
        env.setdefault("DJANGO_SETTINGS_MODULE", "jianguan.settings.development")
        bin_dir = os.path.dirname(sys.executable)
        procs: list[subprocess.Popen[bytes]] = []
        if not options["no_jobs"]:
            worker = [os.path.join(bin_dir, "jianguan"), "qcluster"]
            procs.append(subprocess.Popen(worker, env=env))  # noqa: S603 — our own executable
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(
            self.style.SUCCESS(f"Jianguan is serving on {url}")
            + "\nLog in with a demo account printed by `jianguan demo` (first run),"
            " e.g. demo-doctor;"
            "\nthe second-factor code: `.venv/bin/jianguan demo code demo-doctor`"
            " (or scan the otpauth URI with an authenticator app). Stop with Ctrl-C."
        )
        web = subprocess.Popen(  # noqa: S603 — our own executable, fixed arguments
            [
                os.path.join(bin_dir, "gunicorn"),
                "jianguan.wsgi:application",
                "--bind",
                f"{options['host']}:{options['port']}",
                "--workers",
                str(options["workers"]),
                "--access-logformat",
                # D-15: the query string is never logged (paging handles only, still kept out).
                '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss',
                "--access-logfile",
                "-",
            ],
            env=env,
        )
        procs.append(web)

        def stop(signum: int, frame: Any) -> None:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            web.wait()
        finally:
            stop(signal.SIGTERM, None)
            for p in procs:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
            self._write_head()

    def _write_head(self) -> None:
        from jianguan.audit.heads import HeadError, write_head

        try:
            head = write_head()
        except HeadError as exc:
            # The ledger no longer matches the last signed head: say so plainly, no traceback.
            self.stderr.write(f"audit head NOT written: {exc} — run `jianguan audit verify`")
            return
        self.stdout.write(f"audit head written: size {head.get('tree_size')}")
