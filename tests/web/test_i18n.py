"""The English catalogue: complete, compiled, covering every msgid the code uses, and switchable.

The UI is Chinese by default and the msgids are the Chinese text, so a missing English entry
does not fail anywhere else: it silently shows Chinese to an English reader. These tests catch it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation.template import templatize

from jianguan.locale.extra_msgids import EN_MO, EN_PO, runtime_msgids

SRC = Path(__file__).resolve().parents[2] / "src" / "jianguan"

# gettext functions whose first argument(s) are msgids; the value says how many leading string
# arguments form the key: context (p…), msgid, plural (n…).
GETTEXT_FUNCS = {
    "gettext": ("msgid",),
    "gettext_lazy": ("msgid",),
    "gettext_noop": ("msgid",),
    "ngettext": ("msgid", "plural"),
    "ngettext_lazy": ("msgid", "plural"),
    "pgettext": ("context", "msgid"),
    "pgettext_lazy": ("context", "msgid"),
    "npgettext": ("context", "msgid", "plural"),
    "npgettext_lazy": ("context", "msgid", "plural"),
}
STRING_LITERAL = r"""u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
TEMPLATIZED_CALL = re.compile(
    rf"\b(n?p?gettext)\(\s*({STRING_LITERAL}(?:\s*,\s*{STRING_LITERAL})*)"
)
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")

Key = tuple[str | None, str]  # (msgctxt, msgid)


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    return polib.pofile(str(EN_PO))


def _live(po: polib.POFile) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete]


def _catalogue_keys(po: polib.POFile) -> set[Key]:
    return {(e.msgctxt or None, e.msgid) for e in _live(po)}


def _key(kind: tuple[str, ...], literals: list[str]) -> Key | None:
    if len(literals) < len(kind):
        return None
    named = dict(zip(kind, literals, strict=False))
    return (named.get("context"), named["msgid"])


def _python_msgids(path: Path) -> set[Key]:
    """Literal msgids of gettext calls, following `from django.utils.translation import … as _`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for name in node.names:
                if name.name in GETTEXT_FUNCS:
                    aliases[name.asname or name.name] = name.name
    found: set[Key] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        func = aliases.get(node.func.id)
        if func is None:
            continue
        literals = []
        for arg in node.args:
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                break
            literals.append(arg.value)
        key = _key(GETTEXT_FUNCS[func], literals)
        if key is not None:
            found.add(key)
    return found


def _template_msgids(path: Path) -> set[Key]:
    """Msgids of {% translate %} / {% blocktranslate %}, extracted the way makemessages does."""
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    found: set[Key] = set()
    for match in TEMPLATIZED_CALL.finditer(code):
        literals = [ast.literal_eval(lit) for lit in re.findall(STRING_LITERAL, match.group(2))]
        key = _key(GETTEXT_FUNCS[match.group(1)], literals)
        if key is not None:
            found.add(key)
    return found


def _python_sources() -> list[Path]:
    return [
        p
        for p in sorted(SRC.rglob("*.py"))
        if "migrations" not in p.parts and p.parent.name != "locale"
    ]


def _templates() -> list[Path]:
    return sorted(p for p in SRC.rglob("templates/**/*") if p.suffix in {".html", ".txt"})


# (a) complete


def test_every_msgid_has_an_english_translation(po: polib.POFile) -> None:
    untranslated = [e.msgid for e in _live(po) if not e.translated()]
    assert untranslated == []


def test_no_entry_is_fuzzy(po: polib.POFile) -> None:
    assert [e.msgid for e in _live(po) if e.fuzzy] == []
    assert not po.metadata_is_fuzzy


def test_plural_entries_fill_both_english_forms(po: polib.POFile) -> None:
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    plural = [e for e in _live(po) if e.msgid_plural]
    assert plural
    for entry in plural:
        assert sorted(entry.msgstr_plural) == [0, 1], entry.msgid
        assert all(entry.msgstr_plural.values()), entry.msgid


def test_translations_keep_the_placeholders_of_their_msgid(po: polib.POFile) -> None:
    for entry in _live(po):
        expected = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        forms = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for form in forms:
            assert sorted(PLACEHOLDER.findall(form)) == expected, entry.msgid


# (b) compiled


def test_compiled_catalogue_matches_the_po_file(po: polib.POFile) -> None:
    def pairs(catalogue: polib._BaseFile) -> dict[tuple[str | None, str, str], object]:
        return {
            (e.msgctxt or None, e.msgid, e.msgid_plural): (
                tuple(sorted(e.msgstr_plural.items())) if e.msgid_plural else e.msgstr
            )
            for e in catalogue
            if not e.obsolete
        }

    expected = polib.mofile(po.to_binary())
    shipped = polib.mofile(str(EN_MO))
    assert pairs(shipped) == pairs(expected), "run msgfmt -o django.mo django.po"
    assert shipped.metadata.get("Plural-Forms") == po.metadata["Plural-Forms"]


# (c) every msgid the code uses is in the catalogue


def test_every_template_msgid_is_in_the_catalogue(po: polib.POFile) -> None:
    known = _catalogue_keys(po)
    used = {(str(p.relative_to(SRC)), key) for p in _templates() for key in _template_msgids(p)}
    assert used, "no template msgids found: the extraction is broken"
    assert sorted((where, key) for where, key in used if key not in known) == []


def test_every_python_msgid_is_in_the_catalogue(po: polib.POFile) -> None:
    known = _catalogue_keys(po)
    used = {(str(p.relative_to(SRC)), key) for p in _python_sources() for key in _python_msgids(p)}
    assert used, "no Python msgids found: the extraction is broken"
    assert sorted((where, key) for where, key in used if key not in known) == []


def test_every_runtime_msgid_is_in_the_catalogue(po: polib.POFile) -> None:
    known = _catalogue_keys(po)
    runtime = runtime_msgids()
    assert "健康管理师" in runtime and "账户密码已修改" in runtime
    assert sorted(m for m in runtime if (None, m) not in known) == []


def test_role_labels_translate_at_run_time() -> None:
    from jianguan.accounts.forms.users import role_label

    with translation.override("en"):
        assert role_label("health_manager") == "Health manager"
        assert role_label("followup_agent") == "Follow-up agent"
    with translation.override("zh-hans"):
        assert role_label("health_manager") == "健康管理师"


def test_notification_kinds_translate_at_run_time() -> None:
    from jianguan.core.notify import kind_label

    with translation.override("en"):
        assert kind_label("security.lockout") == (
            "Account temporarily locked after repeated failed sign-ins"
        )


def test_vital_labels_translate_inside_error_messages() -> None:
    from jianguan.records.errors import InvalidValue
    from jianguan.records.services.observations import parse_vitals

    with translation.override("en"), pytest.raises(InvalidValue) as caught:
        parse_vitals({"height": "abc"})
    assert str(caught.value.message) == "Height must be a number"


def test_identifier_types_and_stored_terms_translate_at_run_time() -> None:
    from jianguan.records import identifiers
    from jianguan.records.forms import choices

    with translation.override("en"):
        assert choices.id_type_label(identifiers.RESIDENT_ID) == "Resident ID card"
        assert ("壮族", "Zhuang") in choices.terms(choices.ETHNICITIES)
        assert ("丧偶", "Widowed") in choices.terms(choices.MARITAL_STATUSES)


def test_runtime_msgids_include_labels_passed_as_variables() -> None:
    runtime = runtime_msgids()
    assert runtime.get("身高") == "records/services/observations.py"


def test_no_module_hides_gettext_under_a_name_xgettext_does_not_know() -> None:
    src = Path(__file__).resolve().parents[2] / "src" / "jianguan"
    alias = re.compile(r"import (?:gettext|pgettext|ngettext)(?:_lazy)? as (?!_\b)\w+")
    hiding = [str(p.relative_to(src)) for p in src.rglob("*.py") if alias.search(p.read_text())]
    assert hiding == []


def test_lifestyle_lines_translate_at_run_time() -> None:
    from jianguan.records.views.tabs import lifestyle_lines

    with translation.override("en"):
        [(label, text)] = lifestyle_lines({"smoking": {"status": "current", "per_day": 10}})
        assert str(label) == "Smoking"  # a lazy label: read it while English is active
    assert text.endswith("10 a day")


# (d) the switch, through the views


def _csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "the login page has no CSRF token"
    return match.group(1)


@pytest.mark.django_db
def test_chinese_is_the_default_without_cookie_or_accept_language() -> None:
    page = Client().get("/accounts/login/").content.decode()
    assert "用户名" in page
    assert "Username" not in page
    assert '<html lang="zh-hans">' in page


@pytest.mark.django_db
def test_language_switch_shows_the_login_page_in_english() -> None:
    client = Client(enforce_csrf_checks=True)
    token = _csrf_token(client.get("/accounts/login/").content.decode())
    switched = client.post(
        "/i18n/setlang/",
        {"language": "en", "next": "/accounts/login/", "csrfmiddlewaretoken": token},
    )
    assert switched.status_code == 302
    assert switched["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/").content.decode()
    assert "Username" in page
    assert "用户名" not in page
    assert '<html lang="en">' in page
