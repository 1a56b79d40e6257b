"""Valid/ready patterns for testbenches: seeded, so a failure can be replayed."""

import numpy as np

__all__ = ["duty_pattern", "stall_patterns", "random_vectors", "random_stimulus",
           "cycles_per_beat"]


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


def random_vectors(design, count, seed):
    """``count`` random input vectors of ``design`` drawn from ``seed``: uniform signed
    ``input_width``-bit integers, shape ``(count, n)``."""
    rng = np.random.default_rng(seed)
    half = 1 << (design.input_width - 1)
    return rng.integers(-half, half, (count, design.n))


def cycles_per_beat(in_duty, out_duty):
    """Cycles a random run allows per beat: enough at these duty ratios (both ends may
    stall a beat), with 30 % to spare."""
    return 1.3 / (in_duty * out_duty)


def random_stimulus(design, count, seed, in_duty, out_duty):
    """``(vectors, in_valid, out_ready)`` of a random run as ``nomul sim`` draws it:
    :func:`random_vectors` and :func:`stall_patterns` from ``seed``, with stalls longer than
    the design's latency and cycles enough for every beat at the duty ratios."""
    long_stall = 2 * design.latency + 5
    cycles = (int(count * design.interval * cycles_per_beat(in_duty, out_duty))
              + 4 * design.latency + 2 * long_stall + 50)
    in_valid, out_ready = stall_patterns(seed, cycles, in_duty, out_duty, long_stall)
    return random_vectors(design, count, seed), in_valid, out_ready
