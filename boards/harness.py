"""I/O harnesses for measuring a design on an FPGA that has far fewer pins than the
design has port bits.

:class:`SerialHarness` feeds the design's input payload from a shift register loaded
one bit per cycle from a pin, and captures its output payload into a shift register read
out one bit per cycle, so every payload bit is observable and synthesis keeps all of the
design's logic. :class:`Passthrough` stands in for the design to measure the harness
alone, with every output bit driven by an input bit so that nothing is optimized away.
"""

from amaranth import Cat, Module, Signal, Value
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["SerialHarness", "Passthrough"]


class Passthrough(wiring.Component):
    """A stand-in with the payload widths of a design: output bit ``k`` is input bit
    ``k mod in_width``, registered (one pipeline stage, full backpressure)."""

    def __init__(self, in_width, out_width):
        self.in_width, self.out_width = in_width, out_width
        super().__init__({"i": In(stream.Signature(in_width)),
                          "o": Out(stream.Signature(out_width))})

    def elaborate(self, platform):
        m = Module()
        bits = [self.i.payload[k % self.in_width] for k in range(self.out_width)]
        with m.If(self.o.ready | ~self.o.valid):
            m.d.sync += [self.o.payload.eq(Cat(bits)), self.o.valid.eq(self.i.valid)]
        m.d.comb += self.i.ready.eq(self.o.ready | ~self.o.valid)
        return m


class SerialHarness(wiring.Component):
    """Wraps ``inner`` (a component with ``i``/``o`` streams) behind seven pins.

    Members
    -------
    serial_in : ``In(1)``, shifted into the input payload register every cycle.
    in_valid, out_ready : ``In(1)``, the design's ``i.valid`` and ``o.ready``.
    capture : ``In(1)``, loads the output payload into the output shift register
        (otherwise it shifts towards ``serial_out``).
    serial_out, in_ready, out_valid : ``Out(1)``.
    """
    serial_in: In(1)
    in_valid: In(1)
    out_ready: In(1)
    capture: In(1)
    serial_out: Out(1)
    in_ready: Out(1)
    out_valid: Out(1)

    def __init__(self, inner):
        self.inner = inner
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        m.submodules.design = inner = self.inner
        in_width = len(Value.cast(inner.i.payload))
        out_width = len(Value.cast(inner.o.payload))
        shift_in = Signal(in_width)
        shift_out = Signal(out_width)
        m.d.sync += shift_in.eq(Cat(shift_in[1:], self.serial_in))
        with m.If(self.capture):
            m.d.sync += shift_out.eq(Value.cast(inner.o.payload))
        with m.Else():
            m.d.sync += shift_out.eq(shift_out[1:])
        m.d.comb += [
            inner.i.payload.eq(shift_in),
            inner.i.valid.eq(self.in_valid),
            inner.o.ready.eq(self.out_ready),
            self.in_ready.eq(inner.i.ready),
            self.out_valid.eq(inner.o.valid),
            self.serial_out.eq(shift_out[0]),
        ]
        return m
