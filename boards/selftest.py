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
from ..packing import pack, unpack

__all__ = ["LFSR_TAPS", "SelfTest", "stimulus", "expected_checksum"]

LFSR_TAPS = 0x80200003      # x^32 + x^22 + x^2 + x + 1, maximal length
LFSR_SEED = 1


def _lfsr_bits(count):
    """Bit 0 of the LFSR state on cycles 0 .. count-1."""
    state, bits = LFSR_SEED, []
    for _ in range(count):
        bits.append(state & 1)
        state = (state >> 1) ^ (LFSR_TAPS if state & 1 else 0)
    return bits


def stimulus(design, vectors):
    """The first ``vectors`` input vectors the self-test feeds the design: on cycle ``k``
    the shift register holds LFSR bit ``k - W + j`` in bit ``j`` (0 before cycle 0)."""
    width = design.input.total_width
    bits = [0] * width + _lfsr_bits(vectors)
    out = []
    for k in range(vectors):
        register = bits[k:k + width]              # bit j: LFSR bit k - width + j
        payload = sum(b << j for j, b in enumerate(register))
        out.append(unpack(payload, design.n, design.input_width, True))
    return np.array(out, dtype=np.int64)


def _fold(payload, width):
    folded = 0
    for offset in range(0, width, 32):
        folded ^= (payload >> offset) & 0xFFFFFFFF
    return folded


def expected_checksum(design, vectors):
    """The checksum after ``vectors`` outputs, from the golden model."""
    outputs = run(design, stimulus(design, vectors))
    out = design.output
    checksum = 0
    for vector in outputs:
        checksum = ((checksum << 1) | (checksum >> 31)) & 0xFFFFFFFF
        checksum ^= _fold(pack(vector, out.width), out.total_width)
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
