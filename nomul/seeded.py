"""Seeded pseudo-random signs and bits that never change between machines or releases.

The generator is SplitMix64 (Steele, Lea and Flood, 2014), written out here so that no
library's choice of algorithm can change a design: output number ``k`` (``k = 0, 1, ...``)
of seed ``s`` is::

    z = (s + (k + 1) * 0x9E3779B97F4A7C15) mod 2**64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) mod 2**64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) mod 2**64
    z =   z ^ (z >> 31)

Bit ``k`` of a seed is the top bit (bit 63) of output ``k``; sign ``k`` is ``-1`` where that
bit is 1 and ``+1`` where it is 0.
"""

import numpy as np

__all__ = ["SEED_MAX", "splitmix64", "seeded_bits", "seeded_signs"]

SEED_MAX = 2**64 - 1

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def splitmix64(seed, count):
    """The first ``count`` outputs of SplitMix64 seeded with ``seed``, as ``uint64``."""
    if not 0 <= seed <= SEED_MAX:
        raise ValueError(f"seed must be an integer from 0 to 2**64-1, not {seed}")
    k = np.arange(1, count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + k * _GAMMA
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        return z ^ (z >> np.uint64(31))


def seeded_bits(seed, count):
    """``count`` bits (0 or 1, ``uint8``) from ``seed``."""
    return (splitmix64(seed, count) >> np.uint64(63)).astype(np.uint8)


def seeded_signs(seed, count):
    """``count`` signs (+1 or -1, ``int64``) from ``seed``."""
    return 1 - 2 * seeded_bits(seed, count).astype(np.int64)
