"""A self-test board top: the design fed by an LFSR, its outputs folded into a checksum,
and a pass/fail verdict against the checksum the golden model predicts.

Until the host link exists this is what a flashed board runs: after reset the design
takes one vector per cycle from a shift register filled by a 32-bit Galois LFSR, and
its output is always ready. Each output payload is folded into 32 bits (XOR of its
32-bit words) and mixed into a running checksum (rotate left by one, XOR). After
``vectors`` outputs the checksum stops and ``passed`` tells whether it equals the value
:func:`expected_checksum` computes with the golden model.
"""

import numpy as np
from amaranth import Cat, Module, Mux, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import Out

from ..golden.functional import run
from ..hdl.top import DesignTop

__all__ = ["LFSR_TAPS", "SelfTest", "stimulus", "expected_checksum"]

LFSR_TAPS = 0x80200003      # x^32 + x^22 + x^2 + x + 1, maximal length
LFSR_SEED = 1


def _lfsr_bits(count):
    """Bit 0 of the LFSR state on cycles 0 .. count-1."""
    state, bits = LFSR_SEED, bytearray(count)
    for k in range(count):
        bits[k] = state & 1
        state = (state >> 1) ^ (LFSR_TAPS if state & 1 else 0)
    return np.frombuffer(bytes(bits), dtype=np.uint8)


def _elements(bits, elements, width):
    """Rows of little-endian two's-complement ``width``-bit elements from rows of bits."""
    bits = bits.reshape(len(bits), elements, width).astype(np.int64)
    values = bits @ (np.int64(1) << np.arange(width, dtype=np.int64))
    return values - (bits[:, :, -1] << width)


def stimulus(design, vectors, first=0):
    """Input vectors ``first .. first + vectors - 1`` of the self-test: on cycle ``k`` the
    shift register holds LFSR bit ``k - W + j`` in bit ``j`` (0 before cycle 0)."""
    width = design.input.total_width
    bits = np.concatenate([np.zeros(width, np.uint8), _lfsr_bits(first + vectors)])
    windows = np.lib.stride_tricks.sliding_window_view(bits, width)[first:first + vectors]
    return _elements(np.ascontiguousarray(windows), design.n, design.input_width)


def _folded(outputs, vector):
    """Each output payload folded into 32 bits: the XOR of its 32-bit words."""
    bits = ((outputs[:, :, np.newaxis] >> np.arange(vector.width, dtype=np.int64)) & 1)
    bits = bits.reshape(len(outputs), -1).astype(np.uint8)
    padded = np.zeros((len(outputs), -(-bits.shape[1] // 32) * 32), np.uint8)
    padded[:, :bits.shape[1]] = bits
    words = np.packbits(padded, axis=1, bitorder="little").view("<u4")
    return np.bitwise_xor.reduce(words, axis=1).astype(np.uint64)


def expected_checksum(design, vectors, chunk=16384):
    """The checksum after ``vectors`` outputs, from the golden model. Rotating by one and
    XORing is linear, so output ``k`` enters the final checksum rotated left by
    ``(vectors - 1 - k) mod 32``."""
    checksum = 0
    for first in range(0, vectors, chunk):
        count = min(chunk, vectors - first)
        folded = _folded(run(design, stimulus(design, count, first)), design.output)
        turns = (vectors - 1 - np.arange(first, first + count, dtype=np.uint64)) % 32
        rotated = ((folded << turns) | (folded >> ((32 - turns) % 32))) & 0xFFFFFFFF
        checksum ^= int(np.bitwise_xor.reduce(rotated))
    return checksum


class SelfTest(wiring.Component):
    """The design under a self-test; see the module docstring.

    Members
    -------
    done : ``Out(1)``, high once ``vectors`` outputs have been folded in.
    passed : ``Out(1)``, high when done and the checksum is the expected one.
    checksum : ``Out(32)``, the running checksum.
    """
    done: Out(1)
    passed: Out(1)
    checksum: Out(32)

    def __init__(self, design, vectors=4096):
        self.design = design
        self.vectors = vectors
        self.expected = expected_checksum(design, vectors)
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        m.submodules.design = top = DesignTop(self.design)
        width = self.design.input.total_width
        lfsr = Signal(32, init=LFSR_SEED)
        shift = Signal(width)
        m.d.sync += [
            lfsr.eq(Cat(lfsr[1:], 0) ^ Mux(lfsr[0], LFSR_TAPS, 0)),
            shift.eq(Cat(shift[1:], lfsr[0])),
        ]
        out = Value.cast(top.o.payload)
        words = [out[offset:offset + 32] for offset in range(0, len(out), 32)]
        folded = words[0]
        for word in words[1:]:
            folded = folded ^ word
        count = Signal(range(self.vectors + 1))
        m.d.comb += [
            top.i.payload.eq(shift),
            top.i.valid.eq(1),
            top.o.ready.eq(1),
            self.done.eq(count == self.vectors),
            self.passed.eq(self.done & (self.checksum == self.expected)),
        ]
        with m.If(top.o.valid & ~self.done):
            m.d.sync += [
                self.checksum.eq(Cat(self.checksum[31], self.checksum[:31]) ^ folded),
                count.eq(count + 1),
            ]
        return m
