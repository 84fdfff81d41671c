"""`make run`: local development and demo on 127.0.0.1."""

from __future__ import annotations

from jianguan.core.sitesecret import load_or_create_secret_key

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = False  # keep error pages identical to production (ID-05)
SECRET_KEY = load_or_create_secret_key(VAR_DIR)
