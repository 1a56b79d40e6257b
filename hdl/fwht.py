"""Fast Walsh-Hadamard transform stage: a pipelined butterfly of adders and subtractors."""

from amaranth import Cat, Module, Signal, Value
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .pipeline import Pipeline, fit, layout, tap_register

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
            half, width = 1 << level, stage.level_width(level)
            elements = [x[i] + x[i + half] if i & half == 0 else x[i - half] - x[i]
                        for i in range(n)]
            # One assignment per level: per-element assignments cost quadratic time in
            # Amaranth's elaboration. Each sum or difference is brought to `width` bits.
            butterflies = Value.cast(y).eq(Cat(fit(element, width) for element in elements))
            if stage.is_registered(level):
                pipe.load(valid, butterflies)
            else:
                m.d.comb += butterflies
            x = y
        pipe.output(x)
        return m
