"""Sign-in timing: an unknown username and a wrong password must not be told apart (AUTHN-11).

The test suite proves the code path (the Argon2id hasher runs once on both, D-19); this measures
the time, with the real hasher at its production parameters, as the median of 50 tries each.
"""

from __future__ import annotations

import statistics
import time
import uuid

from tests.bench.run import Result

TRIES = 50


def _median_ms(client: object, username: str, password: str) -> float:
    samples = []
    for _ in range(TRIES):
        start = time.perf_counter()
        response = client.post(  # type: ignore[attr-defined]
            "/accounts/login/", {"username": username, "password": password}
        )
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(samples)


def main() -> list[Result]:
    from django.test import Client, override_settings

    from jianguan.accounts.models import Institution, User

    with override_settings(
        JIANGUAN_LOCKOUT_ACCOUNT_FAILURES=10_000,
        JIANGUAN_LOCKOUT_IP_FAILURES=10_000,
        ALLOWED_HOSTS=["testserver"],
    ):
        inst = Institution.objects.create(code=f"bench-{uuid.uuid4().hex[:6]}", name="bench")
        user = User(institution=inst, username=f"bench-{uuid.uuid4().hex[:6]}", full_name="测试")
        user.set_password("a long and proper pass phrase 7")
        user.save()
        client = Client()
        client.get("/accounts/login/")
        _median_ms(client, user.username, "warm up the hasher")
        unknown = _median_ms(client, "nobody-" + uuid.uuid4().hex[:8], "wrong pass phrase 1")
        wrong = _median_ms(client, user.username, "wrong pass phrase 1")
    diff = abs(unknown - wrong) / max(unknown, wrong) * 100
    return [
        Result("sign-in, unknown username (median of 50)", unknown, "ms"),
        Result("sign-in, wrong password (median of 50)", wrong, "ms"),
        Result(
            "difference between the two medians",
            diff,
            "%",
            target="< 10 % (AUTHN-11)",
            met=diff < 10,
            note="real Argon2id, m=19 MiB, t=2, p=1",
        ),
    ]
