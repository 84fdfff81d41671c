"""The audit ledger (D-06, D-07). A million entries are appended through the ledger's own
`append_many` in batches of 10,000 (the same canonical JSON, leaf hashes and keyed chain as
every request writes); then `verify` recomputes all of it and checks a signed head over it.
"One request's entries" is a list page of 50 customers: 50 `record(..., defer=True)` calls and
the flush that appends them in one transaction, timed together, on the million-entry ledger.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid

from tests.bench.run import Result

TITLE = "Audit ledger"
ENTRIES = int(os.environ.get("JIANGUAN_BENCH_ENTRIES", "1000000"))
BATCH = 10_000
REQUESTS = 500
SINGLE = 2_000


def _actors() -> list[object]:
    from jianguan.core.actors import Actor

    institution = uuid.uuid4()
    return [Actor("staff", uuid.uuid4(), institution, frozenset({"doctor"})) for _ in range(50)]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> list[Result]:
    from jianguan.audit import heads, ledger
    from jianguan.audit.proofs import prove_entry
    from jianguan.audit.verify import verify_ledger
    from jianguan.core import context

    actors = _actors()
    token = context.begin(context.RequestContext(client_address="192.168.10.23"))
    results: list[Result] = []
    try:
        started = time.perf_counter()
        for start in range(0, ENTRIES, BATCH):
            ledger.append_many(
                [
                    ledger.build(
                        "customer.view",
                        actor=actors[i % 50],  # type: ignore[arg-type]
                        resource_type="customer",
                        resource_id=str(uuid.uuid4()),
                        customer_id=uuid.uuid4(),
                    )
                    for i in range(min(BATCH, ENTRIES - start))
                ]
            )
        took = time.perf_counter() - started
        results.append(
            Result(
                f"bulk append ({ENTRIES:,} entries, batches of {BATCH:,})",
                ENTRIES / took,
                "entries/s",
                note=f"{took:.1f} s to build the million-entry ledger",
            )
        )

        started = time.perf_counter()
        head = heads.write_head()
        took = time.perf_counter() - started
        results.append(
            Result(
                f"signed head over {head['tree_size']:,} entries (cold process)",
                took,
                "s",
                note="reads every stored leaf hash once; later heads of the same process only "
                "read the entries since the last one",
            )
        )

        started = time.perf_counter()
        verified = verify_ledger()
        took = time.perf_counter() - started
        assert verified.ok and verified.entries == ENTRIES, verified.summary()
        results.append(
            Result(
                f"verify {ENTRIES:,} entries and their signed head",
                took,
                "s",
                "< 10 s",
                took < 10,
                note="canonical JSON, leaf hash and HMAC chain of every entry, the Merkle tree, "
                "the head's signature and root",
            )
        )

        started = time.perf_counter()
        for i in range(SINGLE):
            ledger.record("user.update", actor=actors[i % 50], resource_type="user")  # type: ignore[arg-type]
        took = time.perf_counter() - started
        results.append(
            Result(
                "single appends, one transaction each",
                SINGLE / took,
                "entries/s",
                note="a write's entry in its own transaction (the worst case: no caller "
                "transaction to share)",
            )
        )

        per_request: list[float] = []
        for _ in range(REQUESTS):
            customers = [uuid.uuid4() for _ in range(50)]
            started = time.perf_counter()
            buffer = ledger.start_buffer()
            try:
                for customer in customers:
                    ledger.record(
                        "customer.view",
                        actor=actors[0],  # type: ignore[arg-type]
                        resource_type="customer",
                        resource_id=str(customer),
                        customer_id=customer,
                        defer=True,
                    )
                ledger.flush()
            finally:
                ledger.end_buffer(buffer)
            per_request.append((time.perf_counter() - started) * 1000)
        p95 = _percentile(per_request, 0.95)
        results.append(
            Result(
                "one request's 50 read entries, p50",
                statistics.median(per_request),
                "ms",
            )
        )
        results.append(Result("one request's 50 read entries, p95", p95, "ms", "< 1 ms", p95 < 1))
        results.append(
            Result("one request's 50 read entries, p99", _percentile(per_request, 0.99), "ms")
        )
        results.append(
            Result(
                "batched appends (50 per transaction)",
                50 * REQUESTS / (sum(per_request) / 1000),
                "entries/s",
            )
        )

        started = time.perf_counter()
        heads.write_head()
        results.append(
            Result(
                f"next signed head ({SINGLE + 50 * REQUESTS:,} new entries, same process)",
                (time.perf_counter() - started) * 1000,
                "ms",
            )
        )

        started = time.perf_counter()
        prove_entry(ENTRIES // 2)
        results.append(
            Result(
                "inclusion proof of one entry (`jianguan audit prove`)",
                time.perf_counter() - started,
                "s",
                note="reads the stored leaf hashes up to the signed head and builds the tree",
            )
        )
    finally:
        context.end(token)
    return results
