"""Argmax: a pipelined comparator tree that keeps the index of the largest element."""

from amaranth import C, Cat, Module, Mux, Value

from .pipeline import BeatPosition, PipelinedStage, fit

__all__ = ["Argmax", "FoldedArgmax"]


class Argmax(PipelinedStage):
    """The index of the largest element (lowest index on ties); with ``absolute``, of the
    largest ``|x_j|`` (lowest on ties) and whether ``x_j`` is negative.

    Parameters
    ----------
    stage : :class:`nomul.stages.Argmax`

    Members
    -------
    i : ``In(stream.Signature(ArrayLayout(signed(w) or unsigned(w), K)))``
    o : ``Out(stream.Signature(StructLayout({"index": unsigned(ceil(log2 K)),
        "negative": unsigned(1)})))``, ``negative`` only with ``absolute``.

    Level ``k`` keeps the larger of candidates ``2t`` and ``2t + 1`` (the left one on
    ties) in signal ``level<k>``, an array of (``value``, ``index``, ``negative``)
    structs; ``|x|`` of the most negative input is ``2**(w-1)``, which fits the unsigned
    ``w``-bit value. Latency ``stage.latency``, one vector per cycle.
    """

    def _leaf(self, j, x):
        stage = self.stage
        if stage.absolute:
            negative = x[-1]   # the sign bit
            return {"value": Mux(negative, -x, x)[:stage.input.width], "index": j,
                    "negative": negative}
        return {"value": x, "index": j}

    def _pack(self, candidate, vector):
        return Cat(fit(Value.cast(candidate[name]), width) for name, width, _ in vector.fields)

    def elaborate(self, platform):
        stage = self.stage
        m = Module()
        pipe = self.pipeline(m)
        x = self.i.payload
        candidates = [self._leaf(j, x[j]) for j in range(stage.count)]
        for level in range(stage.levels):
            winners = []
            for t in range(0, len(candidates), 2):
                pair = candidates[t:t + 2]
                if len(pair) == 1:
                    winners.append(pair[0])
                    continue
                left_wins = pair[0]["value"] >= pair[1]["value"]
                winners.append({name: Mux(left_wins, pair[0][name], pair[1][name])
                                for name in pair[0]})
            if level == stage.levels - 1:
                result = self._pack(winners[0], stage.output)
                pipe.output(self.level(m, pipe, "result", stage.output, True, result))
                break
            vector = stage.level_vector(level)
            kept = self.level(m, pipe, f"level{level}", vector, stage.is_registered(level),
                              Cat(self._pack(c, vector) for c in winners))
            candidates = [{name: kept[t][name] for name, _, _ in vector.fields}
                          for t in range(len(winners))]
        return m


class FoldedArgmax(PipelinedStage):
    """:class:`Argmax` of a vector that arrives in beats of ``p`` lanes: lane ``k`` of beat
    ``b`` is candidate ``b*p + k`` (a beat counter gives ``b``); a comparator tree over the
    lanes (registers ``level<k>`` every ``stage.register`` levels) finds each beat's
    winner, ``best`` keeps the winner of the beats so far (earlier beats win ties), and
    the last beat's verdict goes out through ``result`` as one beat. Latency
    ``(tree registers) + beats``; one beat in per cycle, one result per vector.
    """

    _leaf = Argmax._leaf
    _pack = Argmax._pack

    def elaborate(self, platform):
        stage, m = self.stage, Module()
        lanes, beats = stage.input.lanes, stage.input.beats
        pipe = self.pipeline(m)
        beat_in = self.beat_index(m)
        lane_bits = lanes.bit_length() - 1
        x = self.i.payload
        candidates = [self._leaf(Cat(C(k, lane_bits), beat_in) if lane_bits else beat_in, x[k])
                      for k in range(lanes)]
        for level in range(stage.lane_levels):
            candidates = [self._better(candidates[t], candidates[t + 1])
                          for t in range(0, len(candidates), 2)]
            vector = stage.beat_level_vector(level)
            kept = self.level(m, pipe, f"level{level}", vector,
                              stage.is_lane_registered(level),
                              Cat(self._pack(c, vector) for c in candidates))
            candidates = [{name: (kept[t] if vector.lanes > 1 else kept)[name]
                           for name, _, _ in vector.fields} for t in range(len(candidates))]
        winner = candidates[0]
        best, best_valid = self.taps["best"]
        result, result_valid = self.taps["result"]
        valid_in = pipe.unit(result_valid)
        beat = BeatPosition(m, "best", beats, pipe.advance & valid_in)   # the next winner
        kept = {name: best[name] for name, _, _ in stage.candidate.fields}
        choice = {name: Mux(beat.first | (kept["value"] < winner["value"]), winner[name],
                            kept[name]) for name in kept}
        with m.If(pipe.advance):
            m.d.sync += result_valid.eq(valid_in & beat.last)
            with m.If(valid_in):
                with m.If(beat.last):
                    m.d.sync += [Value.cast(result).eq(self._pack(choice, stage.output)),
                                 best_valid.eq(0)]
                with m.Else():
                    m.d.sync += [Value.cast(best).eq(self._pack(choice, stage.candidate)),
                                 best_valid.eq(1)]
        pipe.output(result)
        return m

    @staticmethod
    def _better(left, right):
        left_wins = left["value"] >= right["value"]
        return {name: Mux(left_wins, left[name], right[name]) for name in left}
