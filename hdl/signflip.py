"""Sign-flip stage: ``y_j = d_j * x_j`` with fixed signs ``d_j`` in {+1, -1}."""

from amaranth import Cat, Module, Mux, Signal, unsigned
from amaranth.lib.memory import Memory

from .pipeline import Pipeline, PipelinedStage, fit

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
        pipe = Pipeline(m, self.i, self.o)
        x = self.i.payload
        out = self.stage.output
        flipped = Cat(fit(x[j] if sign > 0 else -x[j], out.width)
                      for j, sign in enumerate(self.stage.signs))
        pipe.output(self.level(m, pipe, "flipped", out, True, flipped))
        return m


class StreamingSignFlip(PipelinedStage):
    """The sign flip of a vector that arrives in beats of ``p`` lanes: lane ``k`` of beat
    ``b`` is element ``b*p + k`` and is negated when ``stage.signs[b*p + k]`` is -1. The
    signs of each beat come from a ROM read without a clock (LUTs), addressed by a beat
    counter (it counts the beats taken in; reset restarts it). Latency 1 (register
    ``flipped``), one beat per cycle."""

    def elaborate(self, platform):
        stage, m = self.stage, Module()
        lanes, beats, out = stage.input.lanes, stage.input.beats, stage.output
        pipe = Pipeline(m, self.i, self.o)
        beat = Signal(range(beats), name="beat_index")
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += beat.eq(Mux(beat == beats - 1, 0, beat + 1))
        signs = [sum(1 << k for k in range(lanes) if stage.signs[b * lanes + k] < 0)
                 for b in range(beats)]
        m.submodules.signs = rom = Memory(shape=unsigned(lanes), depth=beats, init=signs)
        read = rom.read_port(domain="comb")
        m.d.comb += read.addr.eq(beat)
        negate = read.data
        x = self.i.payload
        flipped = Cat(fit(Mux(negate[k], -x[k], x[k]), out.width) for k in range(lanes))
        pipe.output(self.level(m, pipe, "flipped", out.beat, True, flipped))
        return m
