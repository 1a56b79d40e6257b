"""Packing vectors into the integers that travel on a payload bus, and back.

Element ``j`` of a vector of ``width``-bit elements sits at bits ``[j*width +: width]``;
signed elements are two's complement.
"""

import numpy as np

__all__ = ["pack", "unpack", "pack_rows"]


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


def pack_rows(values, width):
    """Many vectors at once: ``values`` (``(m, elements)`` integers in range for
    ``width``) as their payloads, ``(m, words)`` little-endian ``uint32`` words (as many
    as ``elements * width`` bits need)."""
    values = np.asarray(values, np.int64).astype(np.uint64) & np.uint64((1 << width) - 1)
    count = (values.shape[1] * width + 31) // 32
    words = np.zeros((len(values), count + 2), np.uint64)
    for j in range(values.shape[1]):
        word, shift = divmod(j * width, 32)
        part = values[:, j] << np.uint64(shift)     # at most 62 + 31 bits: three words
        words[:, word] |= part & np.uint64(0xFFFFFFFF)
        words[:, word + 1] |= part >> np.uint64(32)
        if shift + width > 64:
            words[:, word + 2] |= values[:, j] >> np.uint64(64 - shift)
    return words[:, :count].astype(np.uint32)
