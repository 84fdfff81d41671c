"""Argon2id at OWASP's parameters or above (AUTHN-01): m=19 MiB, t=2, p=1."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Django's Argon2 hasher (argon2-cffi, Argon2id variant) with the parameters pinned here.

    Hashes with weaker parameters are rehashed at the next successful login, because
    `must_update` compares the stored parameters with these.
    """

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
