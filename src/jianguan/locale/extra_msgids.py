"""Msgids that `makemessages` cannot see because they are translated at run time.

Role and capability labels live in `accounts/matrix.toml` (D-10), notification kinds in
`core.notify.KINDS` (D-20) and vital-sign labels in `records.services.observations.VITALS`; the
code passes them to `gettext()` as variables, so xgettext never finds them. Literal msgids of
gettext functions imported under another name (`from django.utils.translation import gettext as
_g`) are missed too: xgettext knows only the standard keywords. This module lists both and merges
them into the catalogue.

Refreshing the English catalogue, from `src/jianguan` (keep the obsolete entries: makemessages
turns the run-time entries into obsolete `#~` ones, and `merge` revives them with their
translations, then drops the obsolete rest):

    DJANGO_SETTINGS_MODULE=jianguan.settings.test ../../.venv/bin/django-admin \
        makemessages -l en --pythonpath=.. -i "migrations/*"
    ../../.venv/bin/python -m jianguan.locale.extra_msgids
    # translate the new empty and fuzzy entries, then:
    msgfmt --check -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po

`locale/` has no `__init__.py` on purpose: as a namespace package it never shadows the standard
library's `locale` module when Python runs with `src/jianguan` as its working directory.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent
SRC = LOCALE_DIR.parent
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
EN_MO = EN_PO.with_suffix(".mo")

# Names xgettext is given by makemessages (plus its C defaults): calls under these are found.
XGETTEXT_KEYWORDS = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
SINGULAR = {"gettext", "gettext_lazy", "gettext_noop"}
PYTHON_FORMAT = re.compile(r"%\(\w+\)[sd]")


def aliased_msgids(root: Path = SRC) -> dict[str, str]:
    """Literal msgids of gettext/gettext_lazy/gettext_noop called under a name xgettext skips."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts or path.parent == LOCALE_DIR:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        aliases = {
            name.asname
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
            for name in node.names
            if name.name in SINGULAR and name.asname and name.asname not in XGETTEXT_KEYWORDS
        }
        if not aliases:
            continue
        where = str(path.relative_to(root))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in aliases
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, where)
    return found


def runtime_msgids() -> dict[str, str]:
    """Each run-time msgid → the source it comes from (used as its `#:` reference)."""
    from jianguan.accounts import matrix
    from jianguan.core import notify
    from jianguan.records.services import observations

    found: dict[str, str] = {}
    for label in matrix.roles().values():
        found.setdefault(label, "accounts/matrix.toml")
    for row in matrix.capabilities().values():
        cap_label = row.get("label")
        if isinstance(cap_label, str):
            found.setdefault(cap_label, "accounts/matrix.toml")
    for label in notify.KINDS.values():
        found.setdefault(label, "core/notify.py")
    # Vital labels are plain strings in a dataclass, passed to gettext when a check fails.
    for vital in (*observations.VITALS.values(), observations.BMI):
        found.setdefault(vital.label, "records/services/observations.py")
    for msgid, source in aliased_msgids().items():
        found.setdefault(msgid, source)
    return found


def merge(po_path: Path = EN_PO) -> list[str]:
    """Add the run-time msgids missing from the catalogue, drop obsolete ones; return the added."""
    po = polib.pofile(str(po_path), wrapwidth=79)
    live = {e.msgid for e in po if not e.obsolete and not e.msgctxt}
    obsolete = {e.msgid: e for e in po.obsolete_entries() if not e.msgctxt}
    added: list[str] = []
    for msgid, source in runtime_msgids().items():
        if msgid in live:
            continue
        old = obsolete.get(msgid)
        if old is not None:
            po.remove(old)
        entry = polib.POEntry(
            msgid=msgid,
            msgstr=old.msgstr if old is not None else "",
            occurrences=[(source, "")],
            comment="added by jianguan.locale.extra_msgids",
            flags=["python-format"] if PYTHON_FORMAT.search(msgid) else [],
        )
        po.append(entry)
        added.append(msgid)
    stale = po.obsolete_entries()
    for old in stale:
        po.remove(old)
    if added or stale:
        po.save()
    return added


def main() -> None:
    # Only the app registry is needed (notify imports models); the test settings touch no var/.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jianguan.settings.test")
    import django

    django.setup()
    for msgid in merge():
        print(f"added: {msgid}")


if __name__ == "__main__":
    main()
