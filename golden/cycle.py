"""Cycle-level golden model: which vector every tap holds on every cycle.

The pipeline contract it models (and that ``hdl/`` implements): each stage with latency
``L > 0`` is a chain of ``L`` registers, each with a valid bit, that all load together on
cycles when the stage *advances*::

    advance = o.ready | ~o.valid        i.ready = advance

Stages with latency 0 pass ``valid`` and ``ready`` straight through. A cycle with reset
high transfers nothing and leaves every valid bit clear on the next cycle.

The source offers vector ``k`` (in order) on every cycle where ``in_valid`` is set and
vectors remain; it moves on to ``k + 1`` after a cycle with ``valid & ready & ~rst``.
Values come from the functional model: a tap holding vector ``k`` holds that vector's
value at that tap.
"""

from dataclasses import dataclass

import numpy as np

from .functional import run_with_taps

__all__ = ["TapTrace", "Trace", "simulate"]


@dataclass
class TapTrace:
    """Per cycle: the index of the vector a register holds (-1: not valid) and, through
    ``values[index]``, its value."""
    name: str
    index: np.ndarray
    values: np.ndarray

    @property
    def valid(self):
        return self.index >= 0


@dataclass
class Trace:
    """What the design does on each of ``cycles`` cycles.

    ``in_ready``: the top's ``i.ready``; ``accepted``: the index of the vector taken in,
    or -1; ``output``: a :class:`TapTrace` of the top's output (``o.valid`` is
    ``output.valid``); ``delivered``: the index of the vector the sink took, or -1;
    ``taps``: one :class:`TapTrace` per pipeline register, keyed ``"<instance>.<tap>"``."""
    in_ready: np.ndarray
    accepted: np.ndarray
    output: TapTrace
    delivered: np.ndarray
    taps: dict

    @property
    def cycles(self):
        return len(self.in_ready)


def simulate(design, vectors, in_valid, out_ready, reset=None):
    """The trace of ``design`` fed ``vectors`` under the given per-cycle patterns.

    ``in_valid``, ``out_ready`` and ``reset`` are boolean sequences of one length, the
    number of cycles simulated."""
    out_values, tap_values = run_with_taps(design, vectors)
    in_valid = np.asarray(in_valid, dtype=bool)
    out_ready = np.asarray(out_ready, dtype=bool)
    cycles = len(in_valid)
    reset = np.zeros(cycles, bool) if reset is None else np.asarray(reset, dtype=bool)
    if not len(out_ready) == len(reset) == cycles:
        raise ValueError("in_valid, out_ready and reset must have one length")

    # One list of occupants (vector index or -1) per registered stage, input side first.
    groups = [[f"{stage.instance}.{tap.name}" for tap in stage.taps]
              for stage in design.stages if stage.latency]
    slots = [[-1] * len(names) for names in groups]
    tap_index = {name: np.full(cycles, -1, np.int64) for names in groups for name in names}
    in_ready = np.zeros(cycles, bool)
    accepted = np.full(cycles, -1, np.int64)
    out_index = np.full(cycles, -1, np.int64)
    delivered = np.full(cycles, -1, np.int64)

    next_vector = 0
    for t in range(cycles):
        for names, occupants in zip(groups, slots):
            for name, k in zip(names, occupants):
                tap_index[name][t] = k
        offered = next_vector if in_valid[t] and next_vector < len(vectors) else -1

        # Ready travels from the sink towards the source.
        ready = out_ready[t]
        advance = [False] * len(slots)
        for g in reversed(range(len(slots))):
            advance[g] = ready or slots[g][-1] < 0
            ready = advance[g]
        in_ready[t] = ready
        out_index[t] = slots[-1][-1] if slots else offered

        if reset[t]:
            slots = [[-1] * len(occupants) for occupants in slots]
            continue
        if offered >= 0 and in_ready[t]:
            accepted[t] = offered
            next_vector += 1
        if out_index[t] >= 0 and out_ready[t]:
            delivered[t] = out_index[t]
        incoming = [offered] + [occupants[-1] for occupants in slots[:-1]]
        slots = [[incoming[g]] + occupants[:-1] if advance[g] else occupants
                 for g, occupants in enumerate(slots)]

    taps = {name: TapTrace(name, tap_index[name], tap_values[name]) for name in tap_index}
    output = TapTrace("output", out_index, out_values)
    return Trace(in_ready, accepted, output, delivered, taps)
