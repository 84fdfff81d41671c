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


def create_private(path: Path, data: bytes) -> bool:
    """Create `path` (mode 0600) with `data` unless it exists; True if this call created it.

    Two processes starting together must not both create a key file: the second `os.replace`
    would silently swap the keys under the first. A hard link fails if the name exists.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def load_or_create_secret_key(var_dir: Path) -> str:
    path = var_dir / "keys" / "django-secret"
    if not path.exists():
        create_private(path, secrets.token_urlsafe(50).encode())
    return path.read_text().strip()
