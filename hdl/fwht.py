"""Fast Walsh-Hadamard transform stage: a pipelined butterfly of adders and subtractors."""

from amaranth import Cat, Module

from .pipeline import Pipeline, PipelinedStage, fit

__all__ = ["FWHT"]


class FWHT(PipelinedStage):
    """``y = H_n @ x`` in natural (Sylvester) order, without normalization.

    Parameters
    ----------
    stage : :class:`nomul.stages.FWHT`

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

    def elaborate(self, platform):
        stage = self.stage
        n = stage.input.elements
        m = Module()
        pipe = Pipeline(m, self.i, self.o)
        x = self.i.payload
        for level in range(stage.levels):
            half, width = 1 << level, stage.level_width(level)
            butterflies = [x[i] + x[i + half] if i & half == 0 else x[i - half] - x[i]
                           for i in range(n)]
            x = self.level(m, pipe, f"level{level}", stage.level_vector(level),
                           stage.is_registered(level), Cat(fit(b, width) for b in butterflies))
        pipe.output(x)
        return m
