"""Msgids that `makemessages` cannot see because they are translated at run time.

Role and capability labels live in `accounts/matrix.toml` (D-10), notification kinds in
`core.notify.KINDS` (D-20) and vital-sign labels in `records.services.observations.VITALS`; the
code passes them to `gettext()` as variables, so xgettext never finds them. This module lists them and merges them into the catalogue.

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

import os
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
EN_MO = EN_PO.with_suffix(".mo")


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
            comment="translated at run time",
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
