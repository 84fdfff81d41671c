"""`make bench`: run `main()` of every tests/bench/bench_*.py and rewrite docs/benchmarks.md.

Each benchmark module's `main()` returns a list of `Result`; its docstring describes the setup,
and an optional module-level `ANALYSIS` (Markdown) explains the figures, a missed target above
all. Django is set up once, on a fresh SQLite file in a temporary directory (WAL, as `make run`
uses it) with the development settings and collected static files; `DATABASE_URL` is ignored so
that a benchmark never writes a million rows into a real database. Only bench_records also runs
on PostgreSQL, and only when JIANGUAN_BENCH_DATABASE_URL names a server: in a child process, on
a database `jianguan_bench` it creates and drops itself.
`python -m tests.bench.run --no-write` prints the results without touching the document.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "benchmarks.md"
BENCH_DIR = Path(__file__).resolve().parent


@dataclass
class Result:
    name: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None
    note: str = ""


def setup_django(var: Path) -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ["JIANGUAN_VAR"] = str(var)
    os.environ["DJANGO_SETTINGS_MODULE"] = "jianguan.settings.development"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("keys", "init", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # pages render as in `make run`


def machine() -> list[str]:
    cpu = "unknown CPU"
    cores = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and cpu == "unknown CPU":
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("processor"):
                cores += 1
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
    except OSError:
        pass
    import django

    return [
        f"Machine: {cpu}, {cores or os.cpu_count()} cores{memory}; {platform.platform()}",
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"Django {django.get_version()}",
    ]


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


Section = tuple[str, str, list[Result], str]  # title, description, results, analysis


def render(sections: list[Section], command: str, took: float) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m tests.bench.run`); rerun it to refresh these figures",
        "rather than editing them by hand. The machine is shared (two cores, other work running",
        "beside the benchmark), so expect a spread of ±20 % between runs.",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Command: `{command}` ({took:.0f} s in all)",
        *[f"- {line}" for line in machine()],
        "- Database: a fresh SQLite file (WAL, `synchronous=NORMAL`, IMMEDIATE transactions) in a",
        "  temporary directory, development settings",
        *(
            ["- The records benchmark also on PostgreSQL, in a database of its own"]
            if os.environ.get("JIANGUAN_BENCH_DATABASE_URL")
            else []
        ),
        "",
    ]
    for section in sections:
        lines += render_section(section)
    return "\n".join(lines)


def render_section(section: Section, measured: str = "") -> list[str]:
    title, description, results, analysis = section
    lines = [f"## {title}", ""]
    if measured:
        lines += [measured, ""]
    lines += [description.strip(), ""]
    if not results:
        return lines
    lines += ["| Measure | Result | Target | Met |", "|---|---|---|---|"]
    for r in results:
        met = "" if r.met is None else ("yes" if r.met else "**no**")
        lines.append(f"| {r.name} | {_fmt(r.value)} {r.unit} | {r.target} | {met} |")
    notes = [f"- {r.name}: {r.note}" for r in results if r.note]
    if notes:
        lines += ["", *notes]
    if analysis:
        lines += ["", analysis.strip()]
    lines.append("")
    return lines


def replace_sections(document: str, sections: list[Section], command: str, took: float) -> str:
    """The document with these sections replaced (or appended), each saying when and how it was
    measured; the other sections and the header keep their own run's figures."""
    head, *parts = document.split("\n## ")
    existing = {part.split("\n", 1)[0]: "## " + part for part in parts}
    order = [part.split("\n", 1)[0] for part in parts]
    stamp = (
        f"_Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command}` ({took:.0f} s), "
        "on the machine above; the other sections come from their own runs._"
    )
    for section in sections:
        title = section[0]
        existing[title] = "\n".join(render_section(section, stamp))
        if title not in order:
            order.append(title)
    body = "\n".join(existing[t].rstrip() + "\n" for t in order)
    return head.rstrip() + "\n\n" + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated benchmark modules (e.g. bench_clinical): run those and replace "
        "only their sections of docs/benchmarks.md",
    )
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    var = Path(tempfile.mkdtemp(prefix="jianguan-bench-"))
    started = time.perf_counter()
    sections: list[Section] = []
    errors: list[str] = []
    try:
        setup_django(var)
        for path in sorted(BENCH_DIR.glob("bench_*.py")):
            if only and path.stem not in only:
                continue
            module = importlib.import_module(f"tests.bench.{path.stem}")
            title = getattr(module, "TITLE", path.stem)
            print(f"== {path.stem}", flush=True)
            try:
                results: list[Result] = module.main()
            except Exception as exc:  # one broken benchmark must not hide the others' figures
                traceback.print_exc()
                errors.append(path.stem)
                sections.append((title, f"**This benchmark failed:** `{exc!r}`", [], ""))
                continue
            analysis = getattr(module, "ANALYSIS", "")
            sections.append((title, module.__doc__ or "", results, analysis))
            for r in results:
                print(f"   {r.name}: {_fmt(r.value)} {r.unit} {r.target}", flush=True)
    finally:
        shutil.rmtree(var, ignore_errors=True)
    took = time.perf_counter() - started
    if only and DOC.exists():
        command = f"make bench ONLY={','.join(sorted(only))}"
        text = replace_sections(DOC.read_text(encoding="utf-8"), sections, command, took)
    else:
        text = render(sections, "make bench", took)
    if args.no_write:
        print(text)
    else:
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(text, encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)}")
    for _, _, results, _ in sections:
        for r in results:
            if r.met is False:
                print(f"target missed: {r.name} = {_fmt(r.value)} {r.unit} (target {r.target})")
    if errors:
        print(f"benchmarks that failed: {', '.join(errors)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
