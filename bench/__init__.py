"""Benchmarks: `make bench` runs bench.run; see bench/README.md."""
