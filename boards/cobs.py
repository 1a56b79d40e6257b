"""Consistent Overhead Byte Stuffing in gateware, as the PyPI package ``cobs`` does it
(a run of 254 non-zero bytes is closed by a 0xFF code with no implied zero); ``0x00``
delimits frames. See docs/link.md."""

from amaranth import Module, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["DecodedByte", "CobsDecoder", "CobsEncoder"]


class DecodedByte(data.StructLayout):
    """A decoded data byte, or (``end``) the end of a frame, which is ``bad`` when the
    stuffing was broken (the frame ended inside a block)."""

    def __init__(self):
        super().__init__({"data": 8, "end": 1, "bad": 1})


class CobsDecoder(wiring.Component):
    """Decodes the stuffed bytes of ``i`` into the frame bytes of ``o``, one ``end``
    item after each frame. Combinational: a byte in gives at most one item out.

    Members
    -------
    i : ``In(stream.Signature(8))``
    o : ``Out(stream.Signature(DecodedByte()))``
    """

    def __init__(self):
        super().__init__({"i": In(stream.Signature(8)),
                          "o": Out(stream.Signature(DecodedByte()))})

    def elaborate(self, platform):
        m = Module()
        remaining = Signal(8)       # data bytes left in this block; 0: a code comes next
        zero_pending = Signal()     # the block ended below 254: a zero before the next
        byte = self.i.payload
        emits = Signal()
        with m.If(byte == 0):
            m.d.comb += [emits.eq(1), self.o.payload.end.eq(1),
                         self.o.payload.bad.eq(remaining != 0)]
        with m.Elif(remaining == 0):
            m.d.comb += [emits.eq(zero_pending), self.o.payload.data.eq(0)]
        with m.Else():
            m.d.comb += [emits.eq(1), self.o.payload.data.eq(byte)]
        m.d.comb += [self.o.valid.eq(self.i.valid & emits),
                     self.i.ready.eq(self.o.ready | ~emits)]
        with m.If(self.i.valid & self.i.ready):
            with m.If(byte == 0):
                m.d.sync += [remaining.eq(0), zero_pending.eq(0)]
            with m.Elif(remaining == 0):
                m.d.sync += [remaining.eq(byte - 1), zero_pending.eq(byte != 0xFF)]
            with m.Else():
                m.d.sync += remaining.eq(remaining - 1)
        return m


class CobsEncoder(wiring.Component):
    """Sends ``COBS(frame) 0x00`` on ``o`` for the ``length`` bytes of a frame held in a
    memory from address ``base``, read through ``addr``/``data`` (a synchronous read
    port: ``data`` holds the byte at the ``addr`` of the cycle before).

    Pulse ``start`` (with ``base`` and ``length`` valid) while ``busy`` is low; ``busy``
    stays high until the delimiter has been taken. Two cycles per byte read; each byte is
    read twice (once to find the block's end, once to send it).

    Members
    -------
    start : ``In(1)``; base, length : ``In(addr_width)``, ``In(16)``
    addr : ``Out(addr_width)``; data : ``In(8)``
    o : ``Out(stream.Signature(8))``; busy : ``Out(1)``
    """

    def __init__(self, addr_width):
        super().__init__({"start": In(1), "base": In(addr_width), "length": In(16),
                          "addr": Out(addr_width), "data": In(8),
                          "o": Out(stream.Signature(8)), "busy": Out(1)})

    def elaborate(self, platform):
        m = Module()
        base, length = Signal.like(self.base), Signal(16)
        block = Signal(16)          # offset of the block's first byte
        count = Signal(8)           # non-zero bytes in the block so far (at most 254)
        sent = Signal(8)            # bytes of the block sent
        hit_zero = Signal()
        m.d.comb += self.busy.eq(1)
        with m.FSM(name="cobs_encoder"):
            with m.State("IDLE"):
                m.d.comb += self.busy.eq(0)
                with m.If(self.start):
                    m.d.sync += [base.eq(self.base), length.eq(self.length), block.eq(0),
                                 count.eq(0)]
                    m.next = "SCAN"
            with m.State("SCAN"):               # is byte block + count the block's end?
                m.d.comb += self.addr.eq(base + block + count)
                with m.If(count == 254):
                    m.d.sync += hit_zero.eq(0)
                    m.next = "CODE"
                with m.Elif(block + count == length):
                    m.d.sync += hit_zero.eq(0)
                    m.next = "CODE"
                with m.Else():
                    m.next = "SCAN_DATA"
            with m.State("SCAN_DATA"):
                with m.If(self.data == 0):
                    m.d.sync += hit_zero.eq(1)
                    m.next = "CODE"
                with m.Else():
                    m.d.sync += count.eq(count + 1)
                    m.next = "SCAN"
            with m.State("CODE"):
                m.d.comb += [self.o.valid.eq(1), self.o.payload.eq(count + 1)]
                with m.If(self.o.ready):
                    m.d.sync += sent.eq(0)
                    m.next = "COPY"
            with m.State("COPY"):
                m.d.comb += self.addr.eq(base + block + sent)
                with m.If(sent == count):
                    m.next = "NEXT"
                with m.Else():
                    m.next = "COPY_DATA"
            with m.State("COPY_DATA"):
                m.d.comb += [self.o.valid.eq(1), self.o.payload.eq(self.data),
                             self.addr.eq(base + block + sent)]
                with m.If(self.o.ready):
                    m.d.sync += sent.eq(sent + 1)
                    m.next = "COPY"
            with m.State("NEXT"):
                with m.If(hit_zero):            # skip the zero; a block follows, maybe empty
                    m.d.sync += [block.eq(block + count + 1), count.eq(0)]
                    m.next = "SCAN"
                with m.Elif((count == 254) & (block + 254 != length)):
                    m.d.sync += [block.eq(block + 254), count.eq(0)]
                    m.next = "SCAN"
                with m.Else():
                    m.next = "DELIMIT"
            with m.State("DELIMIT"):
                m.d.comb += [self.o.valid.eq(1), self.o.payload.eq(0)]
                with m.If(self.o.ready):
                    m.next = "IDLE"
        return m
