"""A self-test board top: the design fed by an LFSR, its outputs folded into a checksum,
and a pass/fail verdict against the checksum the golden model predicts.

Until the host link exists this is what a flashed board runs: after reset the design
takes its input beats from a shift register filled by a 32-bit Galois LFSR, which moves
on by one bit whenever the design takes a beat (every cycle, unless the design holds its
input off), and its output is always ready. Each output beat is folded into 32 bits (XOR
of its 32-bit words) and mixed into a running checksum (rotate left by one, XOR). After
the output beats of ``vectors`` vectors the checksum stops and ``passed`` tells whether it
equals the value :func:`expected_checksum` computes with the golden model.
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
    """Input vectors ``first .. first + vectors - 1`` of the self-test: when the design
    takes its input beat ``k`` the shift register holds LFSR bit ``k - W + j`` in bit
    ``j`` (0 before beat 0)."""
    beat = design.input.beat
    beats, start = vectors * design.input.beats, first * design.input.beats
    bits = np.concatenate([np.zeros(beat.total_width, np.uint8), _lfsr_bits(start + beats)])
    windows = np.lib.stride_tricks.sliding_window_view(bits, beat.total_width)
    rows = _elements(np.ascontiguousarray(windows[start:start + beats]), beat.elements,
                     beat.width)
    return rows.reshape(vectors, design.n)


def _folded(outputs, vector):
    """Each output payload folded into 32 bits: the XOR of its 32-bit words."""
    bits = ((outputs[:, :, np.newaxis] >> np.arange(vector.width, dtype=np.int64)) & 1)
    bits = bits.reshape(len(outputs), -1).astype(np.uint8)
    padded = np.zeros((len(outputs), -(-bits.shape[1] // 32) * 32), np.uint8)
    padded[:, :bits.shape[1]] = bits
    words = np.packbits(padded, axis=1, bitorder="little").view("<u4")
    return np.bitwise_xor.reduce(words, axis=1).astype(np.uint64)


def expected_checksum(design, vectors, chunk=16384):
    """The checksum after the output beats of ``vectors`` vectors, from the golden model.
    Rotating by one and XORing is linear, so output beat ``k`` of ``T`` enters the final
    checksum rotated left by ``(T - 1 - k) mod 32``."""
    beat, per_vector = design.output.beat, design.output.beats
    total, checksum = vectors * per_vector, 0
    for first in range(0, vectors, chunk):
        count = min(chunk, vectors - first)
        outputs = run(design, stimulus(design, count, first)).reshape(-1, beat.elements)
        folded = _folded(outputs, beat)
        index = np.arange(first * per_vector, (first + count) * per_vector, dtype=np.uint64)
        turns = (total - 1 - index) % 32
        rotated = ((folded << turns) | (folded >> ((32 - turns) % 32))) & 0xFFFFFFFF
        checksum ^= int(np.bitwise_xor.reduce(rotated))
    return checksum


class SelfTest(wiring.Component):
    """The design under a self-test; see the module docstring.

    Members
    -------
    done : ``Out(1)``, high once the output beats of ``vectors`` vectors are folded in.
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
        width = self.design.input.beat.total_width
        lfsr = Signal(32, init=LFSR_SEED)
        shift = Signal(width)
        with m.If(top.i.ready):        # a beat is taken: the next one is one bit on
            m.d.sync += [
                lfsr.eq(Cat(lfsr[1:], 0) ^ Mux(lfsr[0], LFSR_TAPS, 0)),
                shift.eq(Cat(shift[1:], lfsr[0])),
            ]
        out = Value.cast(top.o.payload)
        words = [out[offset:offset + 32] for offset in range(0, len(out), 32)]
        folded = words[0]
        for word in words[1:]:
            folded = folded ^ word
        beats = self.vectors * self.design.output.beats
        count = Signal(range(beats + 1))
        m.d.comb += [
            top.i.payload.eq(shift),
            top.i.valid.eq(1),
            top.o.ready.eq(1),
            self.done.eq(count == beats),
            self.passed.eq(self.done & (self.checksum == self.expected)),
        ]
        with m.If(top.o.valid & ~self.done):
            m.d.sync += [
                self.checksum.eq(Cat(self.checksum[31], self.checksum[:31]) ^ folded),
                count.eq(count + 1),
            ]
        return m
