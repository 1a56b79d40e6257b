"""Fast Walsh-Hadamard transform stage: a pipelined butterfly of adders and subtractors."""

from amaranth import Cat, Module, Mux, Signal, Value, unsigned
from amaranth.lib.memory import Memory

from ..stages import FWHT as FWHTSpec
from .pipeline import PipelinedStage, fit

__all__ = ["FWHT", "StreamingFWHT", "MEMORY_DEPTH"]


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
    one: latency ``ceil(log2(n) / register)`` cycles, one vector per cycle (the streaming
    form, :class:`StreamingFWHT`, does these levels across the lanes of a beat). Wrap: every
    level is computed mod ``2**width``; grow: each level adds one bit, nothing is lost.
    Level values are signals ``level0``, ``level1``, ... (registers where a tap says so).
    """

    def elaborate(self, platform):
        m = Module()
        pipe = self.pipeline(m)
        pipe.output(self._across_lanes(m, pipe, self.i.payload, self.stage.lane_levels))
        return m

    def _across_lanes(self, m, pipe, x, levels):
        """Levels ``0 .. levels - 1``, which pair lanes of one beat (all the elements in
        the parallel form); returns the last level's value."""
        stage = self.stage
        for level in range(levels):
            half, width = 1 << level, stage.level_width(level)
            # Operands and results cut to their significant bits: the bits above are the
            # sign's copies, wired rather than added, so their registers merge and the
            # adders are no wider than the values.
            before, after = stage.significant_width(level - 1), stage.significant_width(level)
            a = [Value.cast(x[i])[:before].as_signed() for i in range(stage.input.lanes)]
            butterflies = [a[i] + a[i + half] if i & half == 0 else a[i - half] - a[i]
                           for i in range(stage.input.lanes)]
            x = self.level(m, pipe, f"level{level}", stage.level_vector(level).beat,
                           stage.is_registered(level),
                           Cat(fit(fit(b, after).as_signed(), width) for b in butterflies))
        return x


# Delay lines of at least this many beats go to memory (block RAM), shorter ones to
# registers: the spec decides (nomul.stages.FWHT.MEMORY_DEPTH).
MEMORY_DEPTH = FWHTSpec.MEMORY_DEPTH


class _DelayLine:
    """``depth`` words that shift by one when ``shift`` is high: ``oldest`` is the word
    stored ``depth`` shifts ago. In registers, or in a memory (``depth`` >= 2) read one
    cycle ahead: its read address is where the oldest word will be after this cycle."""

    def __init__(self, m, name, width, depth, shift, store):
        if depth < MEMORY_DEPTH:
            words = [Signal(width, name=f"{name}_{k}", reset_less=True) for k in range(depth)]
            with m.If(shift):
                m.d.sync += [words[0].eq(store)] + [
                    later.eq(earlier) for earlier, later in zip(words, words[1:])]
            self.oldest = words[-1]
            return
        memory = Memory(shape=unsigned(width), depth=depth, init=[])
        m.submodules[name] = memory
        write, read = memory.write_port(), memory.read_port()
        where = Signal(range(depth), name=f"{name}_oldest")
        after = Mux(where == depth - 1, 0, where + 1)
        m.d.comb += [write.addr.eq(where), write.data.eq(store), write.en.eq(shift),
                     read.addr.eq(Mux(shift, after, where))]
        with m.If(shift):
            m.d.sync += where.eq(after)
        self.oldest = read.data


class StreamingFWHT(FWHT):
    """``y = H_n @ x`` in natural (Sylvester) order for a vector that arrives in beats of
    ``p`` lanes, leaving in beats of ``p`` lanes.

    Levels whose span is below ``p`` pair lanes of one beat, as in :class:`FWHT`, with a
    register after every ``stage.register`` of them. Each level of span ``s * p`` is a
    single-path delay-feedback butterfly over beats ``s`` apart (see
    :class:`nomul.stages.base.DelayFeedback`), ending in its register ``level<k>``; its
    delay line of ``s`` beats is in registers, or in block RAM from
    :data:`MEMORY_DEPTH` beats. Latency ``stage.latency`` = the lane registers plus
    ``s + 1`` per delay-feedback level; one beat per cycle. Wrap and grow as
    :class:`FWHT`; the output is bit for bit that of the parallel form.
    """

    def elaborate(self, platform):
        stage, m = self.stage, Module()
        beats = stage.input.beats
        pipe = self.pipeline(m)
        x = self._across_lanes(m, pipe, self.i.payload, stage.lane_levels)
        for level in range(stage.lane_levels, stage.levels):
            x = self._delay_feedback(m, pipe, level, x, stage.span(level), beats)
        pipe.output(x)
        return m

    def _delay_feedback(self, m, pipe, level, x, span, beats):
        stage = self.stage
        lanes, width = stage.input.lanes, stage.level_width(level)
        register, valid = self.taps[f"level{level}"]
        valid_in = pipe.unit(valid)
        advance = pipe.advance
        beat = Signal(range(beats), name=f"level{level}_beat")     # of the next beat in
        pending = Signal(range(span + 1), name=f"level{level}_pending")
        second = beat[span.bit_length() - 1]                          # bit log2(span)
        # Flags kept in registers, so that each decision starts at a flip-flop:
        # beat mod 2*span == 0, and pending != 0.
        block_start = Signal(name=f"level{level}_block_start", init=1)
        kept = Signal(name=f"level{level}_kept")
        pair = valid_in & second
        shift = valid_in | block_start
        lines = Signal(lanes * width, name=f"level{level}_store")
        delay = _DelayLine(m, f"level{level}_delay", lanes * width, span, advance & shift,
                           lines)
        # Sums and differences mod 2**width of equal-width operands (the incoming beat
        # sign-extended, or cut for wrap): the same bits as the signed operation.
        a = [delay.oldest[k * width:(k + 1) * width] for k in range(lanes)]
        b = [fit(x[k], width) for k in range(lanes)]
        m.d.comb += lines.eq(Mux(pair, Cat((a[k] - b[k])[:width] for k in range(lanes)),
                                 Cat(b)))
        with m.If(advance):
            m.d.sync += [
                Value.cast(register).eq(Mux(pair, Cat((a[k] + b[k])[:width]
                                                      for k in range(lanes)),
                                            delay.oldest)),
                valid.eq(pair | (shift & kept)),
            ]
            # Next values as multiplexers, so that only `advance` (which arrives late,
            # through a large fanout) enables these registers.
            drain = ~pair & shift & kept
            m.d.sync += [
                beat.eq(Mux(valid_in, Mux(beat == beats - 1, 0, beat + 1), beat)),
                block_start.eq(Mux(valid_in, beat[:span.bit_length()].all(), block_start)),
                pending.eq(Mux(pair, pending + 1, Mux(drain, pending - 1, pending))),
                kept.eq(pair | Mux(drain, pending != 1, kept)),
            ]
        return register
