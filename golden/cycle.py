"""Cycle-level golden model: which beat of which vector every tap holds on every cycle.

The contract it models (and that ``hdl/`` implements). Each stage with registers steps
as a whole on cycles when it *advances*::

    advance = o.ready | ~o.valid        i.ready = advance

and on a step every timing unit of the stage (:meth:`nomul.stages.Stage.units`) takes
what the unit before it held (the first one takes the beat offered at the stage's input,
or nothing):

- a :class:`~nomul.stages.base.Register` holds that beat;
- a :class:`~nomul.stages.base.DelayFeedback` butterfly outputs a sum, a kept difference
  or nothing, as its docstring says, into its register;
- a :class:`~nomul.stages.base.Fold` keeps the last beat of a vector in its partial
  register, and puts the vector's result in its result register with the last beat.

Stages without registers pass ``valid`` and ``ready`` straight through; a
:class:`~nomul.stages.base.PadBeats` stage passes a vector's beats, then offers its zero
beats while it does not take input. A cycle with reset high transfers nothing and empties
every stage (beat counting restarts).

In the ``credit`` flow form (:mod:`nomul.flow`) the last stage's output is never held
(its ``o.ready`` is always high) and goes into an output buffer, a FIFO modelled here as
a queue behind a head register, timed as Amaranth's ``SyncFIFOBuffered``: ``o`` shows the output
register; the top's ``i.ready`` is the first stage's ``i.ready`` and a ``credit`` register
(see :class:`nomul.hdl.flow.CreditBuffer`), and the first stage is offered nothing while
``credit`` is low.

The source offers the beats of the input vectors in order on every cycle where
``in_valid`` is set and beats remain, and moves on after a cycle with
``valid & ready & ~rst``; a reset sends it back to beat 0 of the vector it was sending.
Values come from the functional model: a tap holding beat ``b`` of vector ``k`` holds
that part of vector ``k``'s value at that tap.
"""

from collections import deque
from dataclasses import dataclass

import numpy as np

from ..flow import RELEASE_DELAY
from ..stages.base import DelayFeedback, Fold, PadBeats, Register, Skid
from .functional import run_with_taps

__all__ = ["TapTrace", "Trace", "simulate"]


@dataclass
class TapTrace:
    """Per cycle: the index of the beat a register holds (-1: not valid; beat ``b`` of
    vector ``k`` is ``k * beats + b``) and, through ``values[index]``, its value."""
    name: str
    index: np.ndarray
    values: np.ndarray

    @property
    def valid(self):
        return self.index >= 0


@dataclass
class Trace:
    """What the design does on each of ``cycles`` cycles.

    ``in_ready``: the top's ``i.ready``; ``accepted``: the index of the input beat taken
    in, or -1; ``output``: a :class:`TapTrace` of the top's output (``o.valid`` is
    ``output.valid``); ``delivered``: the index of the output beat the sink took, or -1;
    ``taps``: one :class:`TapTrace` per pipeline register, keyed ``"<instance>.<tap>"``;
    ``output_beats``: beats per output vector."""
    in_ready: np.ndarray
    accepted: np.ndarray
    output: TapTrace
    delivered: np.ndarray
    taps: dict
    output_beats: int = 1

    @property
    def cycles(self):
        return len(self.in_ready)

    @property
    def vectors_out(self):
        """Whole vectors the sink took."""
        last = self.delivered[self.delivered >= 0] % self.output_beats == self.output_beats - 1
        return int(last.sum())


class _Unit:
    """The state of one timing unit: ``held`` maps its tap names to ``(vector, beat)`` or
    ``None``; ``out`` is what the next unit takes."""

    def __init__(self, spec):
        self.spec = spec
        if isinstance(spec, Skid):
            self.out_name = spec.main.name
        else:
            self.out_name = (spec.result if isinstance(spec, Fold) else spec.tap).name
        self.step = {Register: self._register, Fold: self._fold}.get(type(spec), self._delay)
        self.clear()

    def clear(self):
        if isinstance(self.spec, Fold):
            self.held = {self.spec.partial.name: None, self.spec.result.name: None}
        elif isinstance(self.spec, Skid):
            self.held = {self.spec.main.name: None, self.spec.spare.name: None}
        else:
            self.held = {self.spec.tap.name: None}
        if isinstance(self.spec, DelayFeedback):
            self.delay = deque([None] * self.spec.span)
            self.pending = 0
            self.next_beat = 0

    @property
    def out(self):
        return self.held[self.out_name]

    def skid_step(self, item, ready_out):
        """A skid buffer's step, every cycle: ``item`` is what the core's last register
        holds; the core advances when this returns True (decided before the step)."""
        main, spare = self.spec.main.name, self.spec.spare.name
        takes = self.held[spare] is None
        if ready_out or self.held[main] is None:
            if self.held[spare] is not None:
                self.held[main], self.held[spare] = self.held[spare], None
            else:
                self.held[main] = item
        elif takes and item is not None:
            self.held[spare] = item
        return takes

    # step(item): the unit's step on a cycle its stage advances, chosen by kind.
    def _register(self, item):
        self.held[self.out_name] = item

    def _fold(self, item):
        spec, result = self.spec, None
        if item is not None:
            k, b = item
            if b == spec.beats - 1:
                result, self.held[spec.partial.name] = (k, 0), None
            else:
                self.held[spec.partial.name] = item
        self.held[spec.result.name] = result

    def _delay(self, item):
        self.held[self.out_name] = self._butterfly(item)

    def _butterfly(self, item):
        span = self.spec.span
        if item is None:
            if self.next_beat % (2 * span):
                return None                        # a gap inside a block: hold
            self.delay.append(None)                # a gap at a block start: drain
            return self._kept(self.delay.popleft())
        k, b = item
        self.next_beat = (b + 1) % self.spec.beats
        if b // span % 2 == 0:                     # first half of a block: keep the beat
            self.delay.append(("x", k, b))
            return self._kept(self.delay.popleft())
        a = self.delay.popleft()                   # second half: a + b now, a - b kept
        assert a == ("x", k, b - span), (a, item)
        self.delay.append(("d", k, b))
        self.pending += 1
        return (k, b - span)

    def _kept(self, oldest):
        if not self.pending:
            return None
        self.pending -= 1
        return oldest[1], oldest[2]


class _StageModel:
    def __init__(self, stage):
        self.stage = stage
        specs = stage.units()
        self.pad = specs[0] if specs and isinstance(specs[0], PadBeats) else None
        self.units = [] if self.pad else [_Unit(spec) for spec in specs]
        self.skid = self.units.pop() if specs and isinstance(specs[-1], Skid) else None
        self.clear()

    def clear(self):
        for unit in self.units + ([self.skid] if self.skid else []):
            unit.clear()
        self.phase = 0          # PadBeats: beats of the current vector sent
        self.vector = 0

    @property
    def last(self):
        return self.units[-1].out if self.units else None

    def in_ready(self, ready_out):
        if self.skid:
            return self.skid.held[self.skid.spec.spare.name] is None or self.last is None
        if self.units:
            return ready_out or self.last is None
        if self.pad:
            return ready_out and self.phase < self.pad.beats_in
        return ready_out

    def output(self, item):
        """The beat at the stage's output this cycle, given the beat offered to it."""
        if self.skid:
            return self.skid.out
        if self.units:
            return self.last
        if self.pad and self.phase >= self.pad.beats_in:
            return (self.vector, self.phase)
        return item

    def step(self, item, ready_out):
        if self.skid:
            advance = self.in_ready(ready_out)      # decided before the buffer moves
            self.skid.skid_step(self.last, ready_out)
            ready_out = advance
        if self.units:
            if ready_out or self.last is None:
                inputs = [item] + [unit.out for unit in self.units[:-1]]
                for unit, taken in zip(self.units, inputs):
                    unit.step(taken)
        elif self.pad:
            out = self.output(item)
            if out is not None and ready_out:
                self.vector = out[0]
                self.phase = (self.phase + 1) % self.pad.beats_out


class _OutputBuffer:
    """The output buffer and credits of the ``credit`` flow form."""

    def __init__(self, design):
        self.depth = design.buffer_depth
        self.beats_in, self.beats_out = design.input.beats, design.output.beats
        self.clear()

    def clear(self):
        self.queue = deque()        # what the FIFO holds behind its output register
        self.head = None            # its output register, when valid
        self.reserved = 0           # output beats owed to the vectors taken in
        self.credit = True
        self.beat = 0               # the input beat the design takes next
        # Reads on their way to the credit logic: freed RELEASE_DELAY cycles later.
        self.released = deque([False] * RELEASE_DELAY)

    def step(self, item, read, taken):
        """One cycle: ``item`` (or None) is written, ``read``: the sink took the head,
        ``taken``: the design's input took a beat."""
        if self.queue and (self.head is None or read):
            self.head = self.queue.popleft()
        elif read:
            self.head = None
        if item is not None:
            self.queue.append(item)
            if len(self.queue) + (self.head is not None) > self.depth:
                raise AssertionError(f"the output buffer overflowed with beat {item}")
        self.released.append(read)
        self.reserved += (taken and self.beat == 0) * self.beats_out - self.released.popleft()
        if taken:
            self.beat = (self.beat + 1) % self.beats_in
        self.credit = self.beat != 0 or self.reserved + self.beats_out <= self.depth


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

    models = [_StageModel(stage) for stage in design.stages]
    buffer = _OutputBuffer(design) if design.buffered else None
    taps = {f"{stage.instance}.{tap.name}": (model, tap.name, tap.beats)
            for stage, model in zip(design.stages, models) for tap in stage.taps}
    # Where each tap's item lives: the held dict of its unit (units keep their dicts).
    holders = []
    for name, (model, tap, beats) in taps.items():
        unit = next(u for u in model.units + ([model.skid] if model.skid else [])
                    if tap in u.held)
        holders.append((unit, tap, beats))
    tap_index = [[-1] * cycles for _ in taps]
    in_ready = np.zeros(cycles, bool)
    accepted = np.full(cycles, -1, np.int64)
    out_index = np.full(cycles, -1, np.int64)
    delivered = np.full(cycles, -1, np.int64)
    beats_in, beats_out = design.input.beats, design.output.beats
    total = len(vectors) * beats_in

    position = 0
    for t in range(cycles):
        for column, (unit, tap, beats) in zip(tap_index, holders):
            item = unit.held[tap]
            if item is not None:
                column[t] = item[0] * beats + item[1]
        offered = (divmod(position, beats_in)
                   if in_valid[t] and position < total else None)
        credit = buffer.credit if buffer else True

        # Ready travels from the sink towards the source, beats the other way.
        ready = True if buffer else bool(out_ready[t])
        ready_out, takes = [False] * len(models), [False] * len(models)
        for g in reversed(range(len(models))):
            ready_out[g] = ready
            ready = takes[g] = models[g].in_ready(ready)
        in_ready[t] = ready and credit
        offers, item = [], offered if credit else None
        for model in models:
            offers.append(item)
            item = model.output(item)
        last, item = item, (buffer.head if buffer else item)
        if item is not None:
            out_index[t] = item[0] * beats_out + item[1]

        if reset[t]:
            for model in models + ([buffer] if buffer else []):
                model.clear()
            position -= position % beats_in
            continue
        taken = offered is not None and in_ready[t]
        if taken:
            accepted[t] = position
            position += 1
        read = item is not None and out_ready[t]
        if read:
            delivered[t] = out_index[t]
        for model, offer, ready, takes_in in zip(models, offers, ready_out, takes):
            model.step(offer if takes_in else None, ready)
        if buffer:
            buffer.step(last, read, taken)

    def beats_of(values, beats):
        return values.reshape(len(values) * beats, values.shape[1] // beats)

    traces = {name: TapTrace(name, np.array(column, np.int64),
                             beats_of(tap_values[name], beats))
              for column, (name, (_, _, beats)) in zip(tap_index, taps.items())}
    output = TapTrace("output", out_index, beats_of(out_values, beats_out))
    return Trace(in_ready, accepted, output, delivered, traces, beats_out)
