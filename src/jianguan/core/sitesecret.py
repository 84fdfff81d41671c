"""The Django SECRET_KEY for development runs, created once under var/ with mode 0600."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Create `path` with mode 0600 atomically (never world-readable, even for an instant)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_or_create_secret_key(var_dir: Path) -> str:
    path = var_dir / "keys" / "django-secret"
    if not path.exists():
        try:
            write_private(path, secrets.token_urlsafe(50).encode())
        except FileExistsError:  # another process is creating it right now
            pass
    return path.read_text().strip()
