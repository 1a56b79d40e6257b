"""Fast Walsh-Hadamard transform stage: a pipelined butterfly of adders and subtractors."""

from amaranth import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .pipeline import Pipeline, layout, tap_register

__all__ = ["FWHT"]


class FWHT(wiring.Component):
    """``y = H_n @ x`` in natural (Sylvester) order, without normalization.

    Parameters
    ----------
    stage : :class:`nomul.design.FWHT`

    Members
    -------
    i : ``In(stream.Signature(ArrayLayout(signed(w), n)))``
    o : ``Out(stream.Signature(ArrayLayout(signed(w'), n)))``; ``w' = width`` for wrap,
        ``w + log2(n)`` for grow.

    Level ``s`` maps elements ``i`` and ``i + 2**s`` (bit ``s`` of ``i`` clear) to their
    sum and difference. A register follows every ``stage.register`` levels and the last
    one: latency ``ceil(log2(n) / register)`` cycles, one vector per cycle. Wrap: every
    level is computed mod ``2**width``; grow: each level adds one bit, nothing is lost.
    Level values are signals ``level0``, ``level1``, ... (registers where a tap says so).
    """

    def __init__(self, stage):
        self.stage = stage
        self._taps = {tap.name: tap_register(tap) for tap in stage.taps}
        super().__init__({
            "i": In(stream.Signature(layout(stage.input))),
            "o": Out(stream.Signature(layout(stage.output))),
        })

    @property
    def taps(self):
        return dict(self._taps)

    def elaborate(self, platform):
        stage = self.stage
        n = stage.input.elements
        m = Module()
        pipe = Pipeline(m, self.i, self.o)
        x = self.i.payload
        for level in range(stage.levels):
            name = f"level{level}"
            if stage.is_registered(level):
                y, valid = self._taps[name]
            else:
                y = Signal(layout(stage.level_vector(level)), name=name)
            half = 1 << level
            butterflies = []
            for i in range(n):
                if i & half == 0:
                    butterflies += [y[i].eq(x[i] + x[i + half]),
                                    y[i + half].eq(x[i] - x[i + half])]
            if stage.is_registered(level):
                pipe.load(valid, butterflies)
            else:
                m.d.comb += butterflies
            x = y
        pipe.output(x)
        return m
