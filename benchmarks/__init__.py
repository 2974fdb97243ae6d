"""Benchmarks: each prints its target against a baseline measured in the same run."""
