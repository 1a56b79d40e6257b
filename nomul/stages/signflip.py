"""The ``signflip`` stage kind: ``y_j = signs[j] * x_j``."""

from dataclasses import dataclass
from typing import ClassVar

from ..resources import capped, prefix
from ..seeded import SEED_MAX, seeded_signs
from .base import MAX_WIDTH, Register, Stage, Tap, Vector, counter_bits, is_int, show

__all__ = ["SignFlip"]


@dataclass(frozen=True)
class SignFlip(Stage):
    """``y_j = signs[j] * x_j``; one pipeline register (latency 1).

    Overflow: ``"wrap"`` keeps the width (negating the most negative value gives itself);
    ``"grow"`` adds one bit, so nothing is lost."""
    kind: ClassVar[str] = "signflip"
    signs: tuple
    seed: int | None
    overflow: str

    @classmethod
    def parse(cls, keys, index, x, base):
        keys.need_int_vector(x)
        has_seed, has_signs = "seed" in keys.table, "signs" in keys.table
        if has_seed == has_signs:
            keys.fail("needs exactly one of 'seed' (an integer from 0 to 2**64-1) "
                      f"and 'signs' (a list of {x.elements} entries, each 1 or -1)")
        seed = keys.int("seed", 0, SEED_MAX, rule="must be an integer from 0 to 2**64-1",
                        default=None)
        signs = keys.get("signs", "", default=None)
        if signs is None:
            signs = tuple(int(s) for s in seeded_signs(seed, x.elements))
        else:
            if not isinstance(signs, list) or len(signs) != x.elements:
                count = (f"has {len(signs)} entr{'y' if len(signs) == 1 else 'ies'}"
                         if isinstance(signs, list) else "is not a list")
                keys.fail(f"signs {count}: it must be a list of exactly {x.elements} "
                          "entries (one per element), each 1 or -1")
            for j, s in enumerate(signs):
                if not is_int(s) or s not in (1, -1):
                    keys.fail(f"signs[{j}] = {show(s)}: each sign must be 1 or -1")
            signs = tuple(signs)
        overflow = keys.choice("overflow", ("wrap", "grow"), default="wrap")
        if overflow == "grow" and x.width + 1 > MAX_WIDTH:
            keys.fail(f"overflow = \"grow\" would make {x.width + 1}-bit elements; "
                      f"at most {MAX_WIDTH} bits are allowed")
        return cls(index, x, signs, seed, overflow)

    @property
    def output(self):
        return Vector("int", self.input.elements, self.input.width + (self.overflow == "grow"),
                      lanes=self.input.lanes)

    def core_units(self):
        """One register; in the streaming form two: ``beat`` holds the incoming beat
        while the signs of that beat are read from a ROM, then ``flipped``."""
        beats = self.output.beats
        if beats == 1:
            return (Register(Tap("flipped", 1, self.output.beat)),)
        return (Register(Tap("beat", 1, self.input.beat, beats)),
                Register(Tap("flipped", 2, self.output.beat, beats)))

    def state_bits(self):
        """Streaming: the beat counter that addresses the signs."""
        return counter_bits(self.input.beats)

    def memory_bits(self):
        """Streaming: the ROM of the signs, one bit per element."""
        return self.input.elements if self.input.beats > 1 else 0

    def beat_rom(self):
        """Streaming: word ``b`` has bit ``k`` set when element ``b*lanes + k`` is
        negated."""
        lanes, beats = self.input.lanes, self.input.beats
        if beats == 1:
            return None
        return ("signs", lanes, [sum(1 << k for k in range(lanes)
                                     if self.signs[b * lanes + k] < 0) for b in range(beats)])

    def streaming_adder_bits(self, parallel_bits):
        """One incrementer per lane, as wide as the output, when any beat negates it."""
        lanes, beats = self.input.lanes, self.input.beats
        negated = {k for k in range(lanes)
                   if any(self.signs[b * lanes + k] < 0 for b in range(beats))}
        return len(negated) * self.output.width

    def significant_bits(self, sig_in):
        return [min(self.output.width, s + (d < 0)) if s else 0
                for s, d in zip(sig_in, self.signs)]

    def needed_bits(self, need_out, sig_in):
        sig_out = self.significant_bits(sig_in)
        held = [capped(need, sig) for need, sig in zip(need_out, sig_out)]
        need_in, adder_bits = [], 0
        for need, s, d in zip(held, sig_in, self.signs):
            if d < 0 and need:
                adder_bits += need.bit_length()      # an incrementer per negated element
                need_in.append(prefix(need, s))
            else:
                need_in.append(capped(need, s))
        taps = {"flipped": held}
        if self.input.beats > 1:
            taps["beat"] = need_in
        return need_in, taps, adder_bits

    def element_names(self, x, names):
        y = [a if d > 0 else names.neg(a, self.output.width) for a, d in zip(x, self.signs)]
        return y, {"flipped": y}
