"""Benchmarks, corpus generators and evaluation commands (not shipped in the wheel)."""
