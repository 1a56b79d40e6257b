"""Sign-flip stage: ``y_j = d_j * x_j`` with fixed signs ``d_j`` in {+1, -1}."""

from amaranth import Cat, Module

from .pipeline import Pipeline, PipelinedStage, fit

__all__ = ["SignFlip"]


class SignFlip(PipelinedStage):
    """Multiplies element ``j`` by ``stage.signs[j]`` using only negation.

    Parameters
    ----------
    stage : :class:`nomul.stages.SignFlip`

    Members
    -------
    i : ``In(stream.Signature(ArrayLayout(signed(w), n)))``
    o : ``Out(stream.Signature(ArrayLayout(signed(w'), n)))``; ``w' = w`` for wrap,
        ``w + 1`` for grow.

    Latency 1 (register ``flipped``), one vector per cycle. With ``overflow = "wrap"``,
    negating ``-2**(w-1)`` gives ``-2**(w-1)``.
    """

    def elaborate(self, platform):
        m = Module()
        pipe = Pipeline(m, self.i, self.o)
        x = self.i.payload
        out = self.stage.output
        flipped = Cat(fit(x[j] if sign > 0 else -x[j], out.width)
                      for j, sign in enumerate(self.stage.signs))
        pipe.output(self.level(m, pipe, "flipped", out, True, flipped))
        return m
