"""Combinational element-wise stages: sign activation, zero padding, arithmetic shift.

Each has latency 0. ``Sign``, ``Shift`` and the parallel ``Pad`` work lane by lane:
``o.valid = i.valid``, ``i.ready = o.ready`` and the payload is a function of the input
payload, so they cost no registers (only wires, or one inverter per element for
``Sign``). ``StreamingPad`` counts beats to send its zero beats, holding ``i.ready`` low
meanwhile.
"""

from amaranth import Cat, Module, Mux, Value
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .pipeline import beat_counter, fit, layout

__all__ = ["Sign", "Pad", "Shift", "StreamingPad"]


class _Elementwise(wiring.Component):
    """Parameters: ``stage``, a resolved stage of :mod:`nomul.stages`. Members: ``i``, ``o``
    (stream signatures of the stage's input and output vectors). Latency 0."""

    def __init__(self, stage):
        self.stage = stage
        super().__init__({
            "i": In(stream.Signature(layout(stage.input))),
            "o": Out(stream.Signature(layout(stage.output))),
        })

    @property
    def taps(self):
        return {}

    def elaborate(self, platform):
        m = Module()
        m.d.comb += [
            self.o.valid.eq(self.i.valid),
            self.i.ready.eq(self.o.ready),
            # One assignment for the whole payload: per-element assignments cost
            # quadratic time in Amaranth's elaboration.
            Value.cast(self.o.payload).eq(self.payload(self.i.payload)),
        ]
        return m


class Sign(_Elementwise):
    """``o.payload`` bit ``j`` is 1 when ``x_j >= 0`` (+1) and 0 when ``x_j < 0`` (-1)."""

    def payload(self, x):
        return Cat(~x[j][-1] for j in range(self.stage.input.lanes))   # not the sign bit


class Pad(_Elementwise):
    """Element ``j`` is ``x_j`` for ``j`` below the incoming length, 0 above it."""

    def payload(self, x):
        return Value.cast(x)    # zero-extended to the output width


class Shift(_Elementwise):
    """Element ``j`` is ``x_j >> bits`` (arithmetic, floor), ``bits`` narrower."""

    def payload(self, x):
        width = self.stage.output.width
        return Cat(fit(x[j] >> self.stage.bits, width)
                   for j in range(self.stage.input.lanes))


class StreamingPad(_Elementwise):
    """Zero padding of a vector that arrives in beats: passes its ``beats_in`` beats, then
    offers ``beats_out - beats_in`` zero beats while ``i.ready`` is low. Combinational
    (latency 0); a beat counter (reset restarts it) tells the two phases apart."""

    def elaborate(self, platform):
        m = Module()
        beats_in, beats_out = self.stage.input.beats, self.stage.output.beats
        beat = beat_counter(m, "beat_index", beats_out, self.o.valid & self.o.ready)
        real = beat < beats_in
        m.d.comb += [
            self.o.valid.eq(Mux(real, self.i.valid, 1)),
            self.i.ready.eq(real & self.o.ready),
            Value.cast(self.o.payload).eq(Mux(real, Value.cast(self.i.payload), 0)),
        ]
        return m
