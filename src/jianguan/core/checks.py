"""System checks for the key material kept outside the database (ENC-07)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

from .keys import check_key_file_permissions


@register(Tags.security)
def key_file_permissions(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when the key file can be read by anyone but its owner (it must be 0600, D-02)."""
    path = Path(settings.JIANGUAN_KEY_FILE)
    return [
        Warning(
            problem,
            hint=f"chmod 600 {path}",
            obj=str(path),
            id="jianguan.core.W001",
        )
        for problem in check_key_file_permissions(path)
    ]
