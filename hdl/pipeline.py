"""Shared pieces of every stage: payload layouts and the stalling pipeline register chain."""

from amaranth import Cat, Signal, signed, unsigned
from amaranth.lib import data

__all__ = ["layout", "wrap", "tap_register", "Pipeline"]


def layout(vector):
    """The payload layout of a :class:`nomul.design.Vector`: ``ArrayLayout(signed(w), n)``
    for integers, ``unsigned(n)`` (element ``j`` in bit ``j``) for bits."""
    if vector.kind == "bits":
        return unsigned(vector.elements)
    return data.ArrayLayout(signed(vector.width), vector.elements)


def wrap(value, width):
    """The bits of signed ``value`` mod ``2**width``: cut when it is wider, sign-extended
    when it is narrower (for concatenating elements into one assignment)."""
    value = value.as_signed()
    if len(value) >= width:
        return value[:width]
    return Cat(value, value[-1].replicate(width - len(value)))


def tap_register(tap):
    """The payload register of ``tap`` (a :class:`nomul.design.Tap`) and its valid bit,
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

    def output(self, value):
        """Drives the stage's output stream from ``value`` (the last register)."""
        m = self._m
        m.d.comb += [
            self._o.payload.eq(value),
            self._o.valid.eq(self._valid),
            self.advance.eq(self._o.ready | ~self._o.valid),
            self._i.ready.eq(self.advance),
        ]
