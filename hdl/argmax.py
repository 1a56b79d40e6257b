"""Argmax: a pipelined comparator tree that keeps the index of the largest element."""

from amaranth import Cat, Module, Mux, Signal, Value
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .pipeline import Pipeline, fit, layout, tap_register

__all__ = ["Argmax"]


class Argmax(wiring.Component):
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
                result, valid = self._taps["result"]
                pipe.load(valid, Value.cast(result).eq(self._pack(winners[0], stage.output)))
                break
            vector = stage.level_vector(level)
            if stage.is_registered(level):
                level_signal, valid = self._taps[f"level{level}"]
            else:
                level_signal = Signal(layout(vector), name=f"level{level}")
            assign = Value.cast(level_signal).eq(Cat(self._pack(c, vector) for c in winners))
            if stage.is_registered(level):
                pipe.load(valid, assign)
            else:
                m.d.comb += assign
            candidates = [{name: level_signal[t][name] for name, _, _ in vector.fields}
                          for t in range(len(winners))]
        pipe.output(result)
        return m
