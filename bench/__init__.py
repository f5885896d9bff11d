"""Benchmarks of this toolkit against other tools; ``python -m bench`` regenerates the measured
sections of docs/performance.md (see bench/README.md)."""
