"""Binary neurons: XNOR with fixed weights, then a pipelined popcount tree."""

import functools
import operator

from amaranth import C, Cat, Module, Mux, Value

from .pipeline import BeatPosition, PipelinedStage, fit

__all__ = ["XnorPopcount", "FoldedXnorPopcount"]


class XnorPopcount(PipelinedStage):
    """``outputs`` neurons over ``N`` incoming bits: ``pop_m = sum_j XNOR(x_j, w_mj)``.

    Parameters
    ----------
    stage : :class:`nomul.stages.XnorPopcount`

    Members
    -------
    i : ``In(stream.Signature(unsigned(N)))``, bit ``j`` is ``x_j`` (1 stands for +1).
    o : ``Out(stream.Signature(...))``: ``ArrayLayout(unsigned(w), M)`` popcounts,
        ``ArrayLayout(signed(w + 1), M)`` dot products ``2*pop - N`` or ``unsigned(M)``
        threshold bits ``pop_m >= thresholds[m]``; ``w = N.bit_length()``.

    XNOR with a constant weight is the bit itself or its inverse, so it costs nothing
    beyond the first adders. Level ``k`` of the tree (``stage.tree``, see
    :func:`nomul.stages.xnor_popcount.carry_tree`) holds the counts of its nodes' blocks
    of consecutive bits (signals ``level<k>``, element ``m * terms + t``): each node adds
    two counts of the level below (two bits at level 0) and one bit, carried up from the
    input, as the carry-in, so a block of up to ``2**(k+2) - 1`` bits fills ``k + 2``
    bits exactly. Latency ``stage.latency``, one vector per cycle; nothing overflows.
    """

    def _result(self, popcounts):
        stage = self.stage
        if stage.result == "popcount":
            return Cat(fit(pop, stage.output.width) for pop in popcounts)
        if stage.result == "dot":
            width = stage.output.width
            return Cat(((pop << 1) - stage.inputs)[:width] for pop in popcounts)
        bits = []
        for pop, threshold in zip(popcounts, stage.thresholds):
            if threshold <= 0:
                bits.append(C(1, 1))
            elif threshold > stage.inputs:
                bits.append(C(0, 1))
            else:
                bits.append(pop >= C(threshold, len(pop)))
        return Cat(bits)

    def elaborate(self, platform):
        stage = self.stage
        m = Module()
        pipe = self.pipeline(m)
        x = self.i.payload
        # One list of terms per neuron; the leaves are the XNORed bits.
        terms = [[x[j] if weight else ~x[j] for j, weight in enumerate(row)]
                 for row in stage.weight_matrix()]
        widths = [1] * stage.inputs         # the bits of each count below
        for level, nodes in enumerate(stage.tree):
            terms = [[_count(neuron, widths, node) for node in nodes] for neuron in terms]
            widths = [node.width for node in nodes]
            if level == stage.levels - 1:
                result = self._result([neuron[0] for neuron in terms])
                pipe.output(self.level(m, pipe, "result", stage.output, True, result))
                break
            vector, count = stage.level_vector(level), stage.terms(level)
            sums = self.level(m, pipe, f"level{level}", vector, stage.is_registered(level),
                              Cat(fit(t, vector.width) for neuron in terms for t in neuron))
            terms = [[sums[n * count + t] for t in range(count)] for n in range(stage.outputs)]
        return m


def _count(terms, widths, node):
    """``node``'s count: the sum of its parts (of ``terms``, the counts of the level below
    or the leaves), each cut to its ``widths`` bits, so that a part of one leaf (the
    last, by :func:`~nomul.stages.xnor_popcount.carry_tree`) is one bit, which the adder
    takes as its carry-in."""
    parts = [terms[part][:widths[part]] for part in node.parts]
    return functools.reduce(operator.add, parts)


class FoldedXnorPopcount(PipelinedStage):
    """The neurons of :class:`XnorPopcount` over bits that arrive in beats of ``p`` lanes.

    A beat counter addresses a ROM of the weights of each beat (``M * p`` bits; block RAM
    where the tools choose) that is read as the beat enters register ``beat``; an adder
    tree sums the XNORed lanes of each neuron (registers ``level<k>`` every
    ``stage.register`` levels); ``acc`` keeps the running popcounts over the beats of a
    vector, and the last beat's sum goes, through ``result`` (popcount, dot or
    threshold as in :class:`XnorPopcount`), out as one beat. Latency
    ``1 + (tree registers) + beats``; one beat in per cycle, one result per vector.
    """

    _result = XnorPopcount._result

    def elaborate(self, platform):
        stage, m = self.stage, Module()
        lanes, beats, outputs = stage.input.lanes, stage.input.beats, stage.outputs
        pipe = self.pipeline(m)
        weights = self.beat_rom(m, pipe)
        x = self.level(m, pipe, "beat", stage.input.beat, True, self.i.payload)
        terms = [[~(x[k] ^ weights[n * lanes + k]) for k in range(lanes)]
                 for n in range(outputs)]
        for level in range(stage.lane_levels):
            terms = [[neuron[t] + neuron[t + 1] for t in range(0, len(neuron), 2)]
                     for neuron in terms]
            vector = stage.beat_level_vector(level)
            count = len(terms[0])
            sums = self.level(m, pipe, f"level{level}", vector, stage.is_lane_registered(level),
                              Cat(fit(t, vector.width) for neuron in terms for t in neuron))
            terms = [[sums[n * count + t] for t in range(count)] for n in range(outputs)]
        partial = [neuron[0] for neuron in terms]
        acc, acc_valid = self.taps["acc"]
        result, result_valid = self.taps["result"]
        valid_in = pipe.unit(result_valid)
        beat = BeatPosition(m, "acc", beats, pipe.advance & valid_in)   # the next sum in
        width = stage.partial_vector.width
        base = [Mux(beat.first, 0, acc[n]) for n in range(outputs)]
        totals = [(base[n] + fit(partial[n], width))[:width] for n in range(outputs)]
        with m.If(pipe.advance):
            m.d.sync += result_valid.eq(valid_in & beat.last)
            with m.If(valid_in):
                with m.If(beat.last):
                    m.d.sync += [Value.cast(result).eq(self._result(totals)),
                                 acc_valid.eq(0)]
                with m.Else():
                    m.d.sync += [Value.cast(acc).eq(Cat(totals)), acc_valid.eq(1)]
        pipe.output(result)
        return m
