"""The output buffer and input credits of the ``credit`` flow form (:mod:`nomul.flow`)."""

from amaranth import C, Module, Mux, Shape, Signal, Value, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..flow import BANK_BITS, RELEASE_DELAY, buffer_banks, buffer_words
from .pipeline import BeatPosition, layout

__all__ = ["CreditBuffer"]


class CreditBuffer(wiring.Component):
    """The end of a design whose stages never stall (modelled by ``golden.cycle``).

    Members
    -------
    i : ``In(stream.Signature(...))``, the last stage's output beats; ``i.ready`` is
        always high: every beat offered is written into the buffer.
    o : ``Out(stream.Signature(...))``, the design's output, read from the buffer.
    taken : ``In(1)``, high on a cycle where the design's input takes a beat.
    credit : ``Out(1)``, a register: the design's input may take a beat this cycle.

    The buffer is a FIFO of ``design.buffer_depth`` beats: a memory (block RAM for beats
    of 36 bits or more; its read data register, the only one whose enable depends on
    ``o.ready``, then holds one clock enable per block, not one per bit) and the memory's
    read data as the head (``buffer_valid``), timed as Amaranth's
    :class:`~amaranth.lib.fifo.SyncFIFOBuffered`: 2 cycles from written to readable when
    it is empty. Beats wider than :data:`~nomul.flow.BANK_BITS` bits go into banks of that
    many bits, each a FIFO of its own with the same contents and timing, so that each
    read enable stays near its bank's block RAMs (a 3,072-bit beat in one FIFO had its
    read enable reach 86 block RAMs across the die, the critical path of a 256-point
    FWHT). Nothing checks for a full buffer: credits keep it from filling. The
    memory never reads the word it writes in the same cycle (it reads only while it
    holds beats behind the head, so the two addresses differ), which ``no_rw_check``
    tells yosys: otherwise it adds a bypass register and multiplexer per bit for that
    case (+401 flip-flops and +245 logic cells for a 16-point FWHT on ECP5).
    ``reserved`` counts the output beats owed to the vectors taken in and not yet
    released: a vector's first input beat reserves all its output beats, each beat read
    from ``o`` frees one :data:`~nomul.flow.RELEASE_DELAY` cycles later (registers carry
    the read from the buffer to the credit logic at the input). ``credit`` is set for
    the next cycle when the next input beat is not a vector's first or when the buffer
    has room for one more vector's output beats, so no beat ever arrives at a full
    buffer and ``credit`` never depends on ``o.ready`` in the same cycle. The memory is
    written on every cycle, valid beat or not (``write_at`` moves only on a valid one).
    Reset empties the buffer and the counts.
    """

    def __init__(self, design):
        self._depth = design.buffer_depth
        self._banks = buffer_banks(design)
        self._beats_in = design.input.beats
        self._beats_out = design.output.beats
        self._shape = layout(design.output)
        super().__init__({
            "i": In(stream.Signature(self._shape)),
            "o": Out(stream.Signature(self._shape)),
            "taken": In(1),
            "credit": Out(1, init=1),
        })

    def elaborate(self, platform):
        m = Module()
        depth, beats_out = self._depth, self._beats_out
        width = Shape.cast(self._shape).width
        payload, out = Value.cast(self.i.payload), Value.cast(self.o.payload)
        for bank, low in enumerate(range(0, width, BANK_BITS)):
            high = min(width, low + BANK_BITS)
            name = "" if self._banks == 1 else f"bank{bank}_"
            head_valid, data = self._bank(m, name, payload[low:high], depth)
            m.d.comb += out[low:high].eq(data)
            if bank == 0:               # every bank's head is valid on the same cycles
                m.d.comb += self.o.valid.eq(head_valid)
        m.d.comb += self.i.ready.eq(1)

        # A beat read frees its credit RELEASE_DELAY cycles later: registers carry the
        # read from the output to the credit logic at the input.
        released = self.o.valid & self.o.ready
        for k in range(RELEASE_DELAY):
            later = Signal(name=f"released{k}")
            m.d.sync += later.eq(released)
            released = later
        reserved = Signal(range(depth + 1), name="reserved")
        if self._beats_in == 1:
            first, inside = self.taken, 0      # every beat is a vector's first
        else:
            position = BeatPosition(m, "credit", self._beats_in, self.taken)
            first = self.taken & position.first
            # The next input beat is not a vector's first: it was reserved for already.
            inside = Mux(self.taken, ~position.last, ~position.first)
        # reserved' = reserved + (first ? beats_out : 0) - released, and credit' = inside |
        # (reserved' <= depth - beats_out): each case computed from `reserved` alone (the
        # compares against constants, no adder before them), so that `first` (from the
        # input port) and `released` only pick one, as the last inputs of the logic
        # before each register.
        def at_most(bound):          # constant where the compare would be (lint)
            if bound < 0 or bound >= (1 << len(reserved)) - 1:
                return C(bound >= 0, 1)
            return reserved <= bound
        room = depth - beats_out                  # reserved' at most this: credit
        owed = reserved + beats_out
        m.d.sync += [
            reserved.eq(Mux(first, Mux(released, owed - 1, owed),
                            Mux(released, reserved - 1, reserved))),
            self.credit.eq(inside | Mux(
                first,
                Mux(released, at_most(room - beats_out + 1), at_most(room - beats_out)),
                Mux(released, at_most(room + 1), at_most(room)))),
        ]
        return m

    def _bank(self, m, name, payload, depth):
        """A FIFO of ``depth`` words of ``payload``'s bits, read into its head when
        ``o.ready`` allows; its addresses and flags are its own (they hold the same values
        in every bank, but each bank's next values depend on its own, so the tools keep
        them apart, near its block RAMs). Returns the head's valid bit and data."""
        size, width = buffer_words(depth), len(payload)
        # Block RAM for wide beats (LUT RAM would take a LUT per bit, and block RAM holds
        # one read enable per block); narrow buffers are left to the tools.
        attrs = {"no_rw_check": 1, **({"ram_style": "block"} if width >= 36 else {})}
        m.submodules[f"{name}memory"] = memory = Memory(
            shape=unsigned(width), depth=size, init=[], attrs=attrs)
        write, fetch_port = memory.write_port(), memory.read_port()
        write_at = Signal(range(size), name=f"{name}write_at")
        read_at = Signal(range(size), name=f"{name}read_at")
        head_valid = Signal(name=f"{name}buffer_valid")
        fetch = Signal(name=f"{name}fetch")
        # The memory holds beats behind the head (`waiting`), two or more (`several`):
        # registers, so that the read enable (which reaches every block RAM of the bank)
        # is one LUT from o.ready, and their next values one more LUT after it.
        waiting = Signal(name=f"{name}waiting")
        several = Signal(name=f"{name}several")
        stored = Signal(range(size), name=f"{name}stored")     # write_at - read_at
        m.d.comb += [
            # Written on every cycle, valid or not: the word at write_at is never one
            # the buffer holds (it never fills), so only write_at waits for a valid beat
            # and i.valid need not reach every block RAM's write enable.
            write.addr.eq(write_at), write.data.eq(payload), write.en.eq(1),
            fetch.eq(waiting & (~head_valid | self.o.ready)),
            fetch_port.addr.eq(read_at), fetch_port.en.eq(fetch),
            stored.eq(write_at - read_at),
        ]
        # The beats stored change by i.valid - fetch; fetch implies waiting.
        m.d.sync += [
            write_at.eq(write_at + self.i.valid), read_at.eq(read_at + fetch),
            waiting.eq(self.i.valid | Mux(fetch, several, waiting)),
            several.eq(Mux(self.i.valid, Mux(fetch, several, waiting),
                           Mux(fetch, stored >= 3, several))),
        ]
        with m.If(fetch):
            m.d.sync += head_valid.eq(1)
        with m.Elif(self.o.ready):
            m.d.sync += head_valid.eq(0)
        return head_valid, fetch_port.data
