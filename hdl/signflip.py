"""Sign-flip stage: ``y_j = d_j * x_j`` with fixed signs ``d_j`` in {+1, -1}."""

from amaranth import Cat, Module

from .pipeline import PipelinedStage, fit

__all__ = ["SignFlip", "StreamingSignFlip"]


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
        pipe = self.pipeline(m)
        x = self.i.payload
        out = self.stage.output
        flipped = Cat(fit(x[j] if sign > 0 else -x[j], out.width)
                      for j, sign in enumerate(self.stage.signs))
        pipe.output(self.level(m, pipe, "flipped", out, True, flipped))
        return m


class StreamingSignFlip(PipelinedStage):
    """The sign flip of a vector that arrives in beats of ``p`` lanes: lane ``k`` of beat
    ``b`` is element ``b*p + k`` and is negated when ``stage.signs[b*p + k]`` is -1. A beat
    counter (reset restarts it) addresses a ROM of each beat's signs (block RAM where the
    tools choose), read as the beat enters register ``beat``; the negation goes into
    register ``flipped``. Latency 2, one beat per cycle."""

    def elaborate(self, platform):
        stage, m = self.stage, Module()
        lanes, out = stage.input.lanes, stage.output
        pipe = self.pipeline(m)
        negate = self.beat_rom(m, pipe)
        x = self.level(m, pipe, "beat", stage.input.beat, True, self.i.payload)
        # -x = ~x + 1: one adder whose operand is x or its inverse (x ^ all ones), and
        # whose carry in is the sign bit: a LUT before the carry chain, no multiplexer.
        width = out.width
        flipped = Cat(((fit(x[k], width) ^ negate[k].replicate(width)) + negate[k])[:width]
                      for k in range(lanes))
        pipe.output(self.level(m, pipe, "flipped", out.beat, True, flipped))
        return m
