"""Sign-flip stage: ``y_j = d_j * x_j`` with fixed signs ``d_j`` in {+1, -1}."""

from amaranth import Cat, Module, Value
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .pipeline import Pipeline, fit, layout, tap_register

__all__ = ["SignFlip"]


class SignFlip(wiring.Component):
    """Multiplies element ``j`` by ``stage.signs[j]`` using only negation.

    Parameters
    ----------
    stage : :class:`nomul.design.SignFlip`

    Members
    -------
    i : ``In(stream.Signature(ArrayLayout(signed(w), n)))``
    o : ``Out(stream.Signature(ArrayLayout(signed(w'), n)))``; ``w' = w`` for wrap,
        ``w + 1`` for grow.

    Latency 1 (register ``flipped``), one vector per cycle. With ``overflow = "wrap"``,
    negating ``-2**(w-1)`` gives ``-2**(w-1)``.
    """

    def __init__(self, stage):
        self.stage = stage
        self.flipped, self.flipped_valid = tap_register(stage.taps[0])
        super().__init__({
            "i": In(stream.Signature(layout(stage.input))),
            "o": Out(stream.Signature(layout(stage.output))),
        })

    @property
    def taps(self):
        return {"flipped": (self.flipped, self.flipped_valid)}

    def elaborate(self, platform):
        m = Module()
        pipe = Pipeline(m, self.i, self.o)
        x = self.i.payload
        width = self.stage.output.width
        flipped = Cat(fit(x[j] if sign > 0 else -x[j], width)
                      for j, sign in enumerate(self.stage.signs))
        pipe.load(self.flipped_valid, Value.cast(self.flipped).eq(flipped))
        pipe.output(self.flipped)
        return m
