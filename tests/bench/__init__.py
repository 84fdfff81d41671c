"""Benchmarks (`make bench`): slow, run by `python -m tests.bench.run`, never by pytest."""
