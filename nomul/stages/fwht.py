"""The ``fwht`` stage kind: the unnormalized fast Walsh-Hadamard transform."""

from dataclasses import dataclass
from typing import ClassVar

from ..resources import capped, prefix
from .base import (MAX_WIDTH, DelayFeedback, Register, Registered, Stage, Tap, Vector,
                   counter_bits, show)

__all__ = ["FWHT"]


@dataclass(frozen=True)
class FWHT(Registered, Stage):
    """The unnormalized fast Walsh-Hadamard transform in natural (Sylvester) order.

    Level ``s`` pairs elements ``i`` and ``i + 2**s`` (bit ``s`` of ``i`` clear):
    ``(a, b) -> (a + b, a - b)``. A pipeline register follows every ``register`` levels
    and the last level, so the latency is ``ceil(log2(n) / register)``.

    Streaming form (``p`` lanes per beat): ``register`` spaces the registers of the levels
    whose span is below ``p`` (computed across lanes); each other level is a
    delay-feedback butterfly over beats ``s`` apart that ends in its own register
    (latency ``s + 1``); the latency is the sum.

    Overflow: ``"wrap"`` computes every level mod ``2**width`` (the input is first read
    mod ``2**width`` too), so the output is exactly ``(H @ x) mod 2**width`` read as signed;
    ``"grow"`` adds one bit per level, so nothing is lost."""
    kind: ClassVar[str] = "fwht"
    # Delay lines of at least this many beats are kept in memory (block RAM), shorter
    # ones in registers.
    MEMORY_DEPTH: ClassVar[int] = 16
    overflow: str
    width: int | None
    register: int

    @classmethod
    def parse(cls, keys, index, x, base):
        keys.need_int_vector(x)
        if x.elements < 2 or x.elements & (x.elements - 1):
            keys.fail(f"needs a power-of-two number of elements (at least 2), but its input "
                      f"has {x.elements}: add a pad stage before it")
        levels = x.elements.bit_length() - 1
        overflow = keys.choice("overflow", ("wrap", "grow"), default="wrap")
        if overflow == "wrap":
            # The default, the incoming width, must itself be a valid width.
            width = keys.int("width", 2, MAX_WIDTH,
                             default=x.width if x.width >= 2 else keys.REQUIRED)
        else:
            width = None
            if "width" in keys.table:
                keys.fail(f"width = {show(keys.table['width'])}: width applies only to "
                          "overflow = \"wrap\"; with \"grow\" each level adds one bit")
            keys.known.append("width")
            if x.width + levels > MAX_WIDTH:
                keys.fail(f"overflow = \"grow\" would make {x.width + levels}-bit elements; "
                          f"at most {MAX_WIDTH} bits are allowed")
        register = keys.register(levels, f"the butterfly over {x.elements} elements")
        return cls(index, x, overflow, width, register)

    @property
    def levels(self):
        return self.input.elements.bit_length() - 1

    @property
    def lane_levels(self):
        """The levels whose span is below the lanes of a beat: computed across lanes. The
        others (streaming form) are delay-feedback butterflies over beats."""
        return self.input.lanes.bit_length() - 1

    def is_registered(self, level):
        return (level >= self.lane_levels or (level + 1) % self.register == 0
                or level == self.levels - 1)

    def level_width(self, level):
        """The element width after butterfly level ``level`` (0-based)."""
        if self.overflow == "wrap":
            return self.width
        return self.input.width + level + 1

    def significant_width(self, level):
        """The significant bits of every element after level ``level`` (``-1``: the input,
        read mod ``2**width`` for wrap) when any input may arrive: one more per level, at
        most the level's width. The bits above, up to :meth:`level_width`, copy the sign."""
        grown = self.input.width + level + 1
        return grown if self.overflow == "grow" else min(self.width, grown)

    def level_vector(self, level):
        """The vector type after butterfly level ``level``."""
        return Vector("int", self.input.elements, self.level_width(level),
                      lanes=self.input.lanes)

    @property
    def output(self):
        return self.level_vector(self.levels - 1)

    def core_units(self):
        units, cycle = [], 0
        for level in range(self.levels):
            if not self.is_registered(level):
                continue
            vector = self.level_vector(level)
            if level < self.lane_levels:
                cycle += 1
                units.append(Register(Tap(f"level{level}", cycle, vector.beat, vector.beats)))
            else:
                span = self.span(level)
                cycle += span + 1
                units.append(DelayFeedback(Tap(f"level{level}", cycle, vector.beat,
                                               vector.beats), span, vector.beats))
        return tuple(units)

    def span(self, level):
        """The beats between the two inputs of a delay-feedback level's butterflies."""
        return 1 << (level - self.lane_levels)

    def delay_lines(self):
        """``(span in beats, width of one beat)`` of each delay-feedback level."""
        return [(self.span(level), self.input.lanes * self.level_width(level))
                for level in range(self.lane_levels, self.levels)]

    def state_bits(self):
        """Beat and pending counters and two flags of each delay-feedback level, and its
        delay line: in registers, or a pointer into memory."""
        beats = self.input.beats
        return sum(counter_bits(beats) + span.bit_length() + 2
                   + (span * width if span < self.MEMORY_DEPTH else counter_bits(span))
                   for span, width in self.delay_lines())

    def memory_bits(self):
        return sum(span * width for span, width in self.delay_lines()
                   if span >= self.MEMORY_DEPTH)

    def streaming_adder_bits(self, parallel_bits):
        # Each lane of a delay-feedback level computes both a + b and a - b every cycle.
        return super().streaming_adder_bits(parallel_bits) + sum(
            width for _, width in self.delay_lines())

    def signals(self):
        levels = [(f"level {level}", self.level_vector(level).beat)
                  for level in range(self.levels)]
        return [("its input", self.input.beat), *levels, ("its output", self.output.beat)]

    def _level_sigs(self, sig_in):
        """Significant bits of every element after wrapping the input and after each level."""
        sigs = [[min(s, self.width) for s in sig_in] if self.overflow == "wrap"
                else list(sig_in)]
        n = len(sig_in)
        for level in range(self.levels):
            half, cap, prev, sig = 1 << level, self.level_width(level), sigs[-1], [0] * n
            for i in range(n):
                if i & half:
                    continue
                a, b = prev[i], prev[i + half]
                grown = min(cap, max(a, b) + 1)
                sig[i] = grown if a and b else max(a, b)                  # a + b
                sig[i + half] = grown if b else a                         # a - b: -b grows
            sigs.append(sig)
        return sigs

    def significant_bits(self, sig_in):
        return self._level_sigs(sig_in)[-1]

    def needed_bits(self, need_out, sig_in):
        sigs = self._level_sigs(sig_in)
        need, taps, adder_bits = list(need_out), {}, 0
        for level in reversed(range(self.levels)):
            held = [capped(nd, s) for nd, s in zip(need, sigs[level + 1])]
            if self.is_registered(level):
                taps[f"level{level}"] = held
            half, prev, need = 1 << level, sigs[level], [0] * len(held)
            for i in range(len(held)):
                if i & half:
                    continue
                a, b = i, i + half
                for out, negate_b in ((a, False), (b, True)):
                    if not held[out]:
                        continue
                    if prev[a] and prev[b]:
                        adder_bits += held[out].bit_length()
                        need[a] |= prefix(held[out], prev[a])
                        need[b] |= prefix(held[out], prev[b])
                    elif prev[a]:
                        need[a] |= capped(held[out], prev[a])         # a +- 0: a wire
                    elif prev[b]:
                        if negate_b:                                   # 0 - b
                            adder_bits += held[out].bit_length()
                            need[b] |= prefix(held[out], prev[b])
                        else:
                            need[b] |= capped(held[out], prev[b])
        return [capped(nd, s) for nd, s in zip(need, sig_in)], taps, adder_bits

    def element_names(self, x, names):
        y, taps = list(x), {}
        if self.overflow == "wrap" and self.input.width > self.width:
            y = [a if a == names.zero else names(("wrap", a, self.width)) for a in y]
        for level in range(self.levels):
            half, width = 1 << level, self.level_width(level)
            y = [names.add(y[i], y[i + half], width) if not i & half
                 else names.sub(y[i - half], y[i], width) for i in range(len(y))]
            if self.is_registered(level):
                taps[f"level{level}"] = y
        return y, taps
