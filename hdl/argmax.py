"""Argmax: a pipelined comparator tree that keeps the index of the largest element."""

from amaranth import Cat, Module, Mux, Value

from .pipeline import Pipeline, PipelinedStage, fit

__all__ = ["Argmax"]


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
        pipe = Pipeline(m, self.i, self.o)
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
