"""Valid/ready patterns for testbenches: seeded, so a failure can be replayed."""

import numpy as np

__all__ = ["duty_pattern", "stall_patterns"]


def duty_pattern(rng, cycles, duty, long_stall=0):
    """A boolean pattern of ``cycles`` cycles, each high with probability ``duty``; with
    ``long_stall > 0`` it also holds low for ``long_stall`` cycles at a random place."""
    pattern = rng.random(cycles) < duty
    if long_stall and cycles > long_stall:
        start = rng.integers(0, cycles - long_stall)
        pattern[start:start + long_stall] = False
    return pattern


def stall_patterns(seed, cycles, in_duty, out_duty, long_stall=0):
    """``(in_valid, out_ready)`` for one run, from ``seed``."""
    rng = np.random.default_rng(seed)
    return (duty_pattern(rng, cycles, in_duty, long_stall if in_duty < 1 else 0),
            duty_pattern(rng, cycles, out_duty, long_stall if out_duty < 1 else 0))
