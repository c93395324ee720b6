"""Benchmarks: each module prints its figures (never asserted as timed tests)."""
