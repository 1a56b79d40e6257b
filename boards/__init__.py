"""Synthesis, I/O harness, board self-test tops, board builds and sweeps."""
