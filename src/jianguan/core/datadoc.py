"""Print the D-01 data-class table of docs/security.md from the models themselves.

    python -m jianguan.core.datadoc

`tests/core/test_classification.py` fails when docs/security.md misses a plaintext field, so the
table is regenerated with this whenever a model changes.
"""

from __future__ import annotations

import os


def table() -> str:
    from django.apps import apps

    from .fields import BlindIndexField, EncryptedField

    lines = ["| field | class | why |", "| --- | --- | --- |"]
    for model in apps.get_models():
        plaintext = getattr(model, "PLAINTEXT_FIELDS", None)
        if plaintext is None:
            continue
        for f in model._meta.concrete_fields:
            name = f"`{model.__name__}.{f.name}`"
            if isinstance(f, EncryptedField):
                lines.append(f"| {name} | encrypted | |")
            elif isinstance(f, BlindIndexField):
                sources = " + ".join(f.sources)
                lines.append(
                    f"| {name} | blind index ({f.bits} bits, of {sources}) "
                    "| exact lookup without decrypting every row |"
                )
            elif f.name in plaintext:
                lines.append(f"| {name} | plaintext | {plaintext[f.name]} |")
    return "\n".join(lines)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jianguan.settings.test")
    import django

    django.setup()
    print(table())
