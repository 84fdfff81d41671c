"""`make bench ONLY=…` replaces only the sections it measured in docs/benchmarks.md and says
when and how they were measured; the rest of the document keeps its own run's figures."""

from __future__ import annotations

from tests.bench.run import Result, replace_sections

DOC = """# Benchmarks

- Date: old

## Audit ledger

old ledger figures

## Customers

old customer figures
"""


def test_only_the_measured_section_is_replaced_and_stamped() -> None:
    section = (
        "Customers",
        "What was measured.",
        [Result("lookup p95", 3.0, "ms", "< 20 ms", True)],
        "",
    )
    text = replace_sections(DOC, [section], "make bench ONLY=bench_records", 12.0)
    assert "old ledger figures" in text and "- Date: old" in text
    assert "old customer figures" not in text
    assert "| lookup p95 | 3 ms | < 20 ms | yes |" in text
    assert "`make bench ONLY=bench_records` (12 s)" in text
    assert text.index("## Audit ledger") < text.index("## Customers")


def test_a_new_section_is_appended() -> None:
    section = ("Clinical engine", "New.", [], "")
    text = replace_sections(DOC, [section], "make bench ONLY=bench_clinical", 1.0)
    assert text.rstrip().endswith("New.") and "old customer figures" in text
