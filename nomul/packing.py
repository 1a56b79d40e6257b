"""Packing vectors into the integers that travel on a payload bus, and back.

Element ``j`` of a vector of ``width``-bit elements sits at bits ``[j*width +: width]``;
signed elements are two's complement.
"""

import numpy as np

__all__ = ["pack", "unpack"]


def pack(values, width):
    """The payload integer of one vector ``values`` (integers in range for ``width``)."""
    values = np.asarray(values, dtype=np.int64)
    bits = (values[:, np.newaxis] >> np.arange(width, dtype=np.int64)) & 1
    return int.from_bytes(np.packbits(bits.ravel(), bitorder="little").tobytes(), "little")


def unpack(payload, elements, width, signed):
    """The vector (``int64`` array) held by the payload integer ``payload``."""
    total = elements * width
    raw = np.frombuffer(payload.to_bytes((total + 7) // 8, "little"), dtype=np.uint8)
    bits = np.unpackbits(raw, bitorder="little")[:total].reshape(elements, width)
    values = bits.astype(np.int64) @ (np.int64(1) << np.arange(width, dtype=np.int64))
    if signed:
        values -= bits[:, -1].astype(np.int64) << width
    return values
