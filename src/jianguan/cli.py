"""The `jianguan` command: Django's management commands under the project's own name.

`jianguan keys rotate`, `jianguan audit verify`, `jianguan demo`, `jianguan users add …` are
management commands of the project's apps; anything else Django knows works too
(`jianguan migrate`, `jianguan runserver`).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jianguan.settings.development")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "jianguan"
    from jianguan.core.errors import JianguanError

    try:
        execute_from_command_line(args)
    except JianguanError as exc:
        # A problem the operator can fix (missing keys, a retired key …): say what, not a traceback.
        sys.stderr.write(f"jianguan: {exc.message} [{exc.code}]\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
