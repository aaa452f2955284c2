"""Tests of the benchmark harness (a tiny deadline rush)."""
