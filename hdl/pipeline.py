"""Shared pieces of every stage: payload layouts and the stalling pipeline register chain."""

from amaranth import Cat, Const, Signal, Value, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["FLOW", "layout", "fit", "tap_register", "Pipeline", "PipelinedStage"]

# The manifest's name for the flow control of :class:`Pipeline`.
FLOW = "stall"


def layout(vector):
    """The payload layout of one beat of a :class:`nomul.stages.Vector` (its ``lanes``
    elements): ``ArrayLayout(signed(w), lanes)`` for signed integers,
    ``ArrayLayout(unsigned(w), lanes)`` for unsigned ones, ``unsigned(lanes)`` (element
    ``j`` in bit ``j``) for bits, and a ``StructLayout`` of the fields (an ``ArrayLayout``
    of them for several lanes) for structs."""
    lanes = vector.lanes
    if vector.kind == "bits":
        return unsigned(lanes)
    if vector.kind == "struct":
        struct = data.StructLayout({name: signed(width) if is_signed else unsigned(width)
                                    for name, width, is_signed in vector.fields})
        return struct if lanes == 1 else data.ArrayLayout(struct, lanes)
    shape = signed(vector.width) if vector.signed else unsigned(vector.width)
    return data.ArrayLayout(shape, lanes)


def fit(value, width):
    """The bits of ``value`` mod ``2**width``: cut when it is wider, extended (by sign or
    by zeros, as its shape says) when it is narrower; for concatenating elements into one
    assignment."""
    if len(value) >= width:
        return value[:width]
    if value.shape().signed:
        return Cat(value, value[-1].replicate(width - len(value)))
    return Cat(value, Const(0, width - len(value)))


def tap_register(tap):
    """The payload register of ``tap`` (a :class:`nomul.stages.Tap`) and its valid bit,
    named after the tap. Payload registers have no reset: a payload counts only while
    its valid bit is set."""
    return (Signal(layout(tap.vector), name=tap.name, reset_less=True),
            Signal(name=tap.valid_name))


class Pipeline:
    """The registers of one stage, which all load together when the stage advances.

    Contract (modelled by ``golden.cycle``)::

        advance = o.ready | ~o.valid        i.ready = advance

    so a full pipeline takes one vector per cycle while ``o.ready`` is high, holds
    everything while the output waits, and lets bubbles fill.
    """

    def __init__(self, m, i, o):
        self._m = m
        self._i = i
        self._o = o
        self._valid = i.valid
        self.advance = Signal()

    def load(self, valid, statements):
        """Puts ``statements`` (the assignments of one register) and its ``valid`` bit in
        the chain, after the registers loaded so far."""
        with self._m.If(self.advance):
            self._m.d.sync += statements
            self._m.d.sync += valid.eq(self._valid)
        self._valid = valid

    def unit(self, valid):
        """Continues the chain after a unit that loads its own registers under
        ``advance``, with ``valid`` the valid bit of what it holds last; returns the valid
        bit of what the unit takes (that of the register before it, or ``i.valid``)."""
        taken, self._valid = self._valid, valid
        return taken

    def output(self, value):
        """Drives the stage's output stream from ``value`` (the last register)."""
        m = self._m
        m.d.comb += [
            self._o.payload.eq(value),
            self._o.valid.eq(self._valid),
            self.advance.eq(self._o.ready | ~self._o.valid),
            self._i.ready.eq(self.advance),
        ]


class PipelinedStage(wiring.Component):
    """Base of the stages with registers: stream ports ``i`` and ``o`` of the stage's
    vector types, and one register (with valid bit) per tap of the stage, made here so
    that the design top and testbenches can reach them before elaboration (``taps``)."""

    def __init__(self, stage):
        self.stage = stage
        self._taps = {tap.name: tap_register(tap) for tap in stage.taps}
        super().__init__({
            "i": In(stream.Signature(layout(stage.input))),
            "o": Out(stream.Signature(layout(stage.output))),
        })

    @property
    def taps(self):
        """``{tap name: (payload register, valid bit)}``."""
        return dict(self._taps)

    def level(self, m, pipe, name, vector, registered, value):
        """The signal ``name`` holding ``value`` (bits of a ``vector``): the tap register
        loaded through ``pipe`` when ``registered``, else a combinational signal. One
        assignment for the whole vector: per-element assignments cost quadratic time in
        Amaranth's elaboration."""
        if registered:
            signal, valid = self._taps[name]
            pipe.load(valid, Value.cast(signal).eq(value))
        else:
            signal = Signal(layout(vector), name=name)
            m.d.comb += Value.cast(signal).eq(value)
        return signal
