"""Benchmarks run by `make bench` (issue #8, part 1): see bench/run.py and bench/RESULTS.md."""
