"""The combinational element-wise stage kinds: ``sign``, ``pad`` and ``shift``."""

from dataclasses import dataclass
from typing import ClassVar

from .base import MAX_N, PadBeats, Stage, Vector, counter_bits

__all__ = ["Sign", "Pad", "Shift"]


@dataclass(frozen=True)
class Sign(Stage):
    """``bit_j = 1 if x_j >= 0 else 0`` (bit 1 stands for +1). Combinational (latency 0)."""
    kind: ClassVar[str] = "sign"

    @classmethod
    def parse(cls, keys, index, x, base):
        keys.need_int_vector(x)
        return cls(index, x)

    @property
    def output(self):
        return Vector("bits", self.input.elements, 1, lanes=self.input.lanes)

    def needed_bits(self, need_out, sig_in):
        sign_bit = 1 << (self.input.width - 1)
        return [sign_bit if need else 0 for need in need_out], {}, 0

    def element_names(self, x, names):
        return [names(("sign", a)) for a in x], {}


@dataclass(frozen=True)
class Pad(Stage):
    """Zero-extends the vector to ``n`` elements. Combinational (latency 0)."""
    kind: ClassVar[str] = "pad"
    n: int

    @classmethod
    def parse(cls, keys, index, x, base):
        keys.need_int_vector(x)
        n = keys.int("n", x.elements + 1, MAX_N, power_of_two=True, rule=(
            f"must be a power of two larger than the incoming {x.elements} elements "
            f"and at most {MAX_N}"))
        return cls(index, x, n)

    @property
    def output(self):
        """``n`` elements; in beats of the incoming lanes when the input comes in several
        beats, else in one beat."""
        lanes = self.input.lanes if self.input.beats > 1 else self.n
        return Vector("int", self.n, self.input.width, lanes=lanes)

    def core_units(self):
        if self.input.beats > 1:
            return (PadBeats(self.input.beats, self.output.beats),)
        return ()

    def state_bits(self):
        return counter_bits(self.output.beats) if self.input.beats > 1 else 0

    def significant_bits(self, sig_in):
        return list(sig_in) + [0] * (self.n - len(sig_in))

    def needed_bits(self, need_out, sig_in):
        return list(need_out[:self.input.elements]), {}, 0

    def element_names(self, x, names):
        return list(x) + [names.zero] * (self.n - len(x)), {}


@dataclass(frozen=True)
class Shift(Stage):
    """Arithmetic shift right by ``bits`` (floor division by ``2**bits``); the result is
    ``bits`` narrower, which loses nothing. Combinational (latency 0)."""
    kind: ClassVar[str] = "shift"
    bits: int

    @classmethod
    def parse(cls, keys, index, x, base):
        keys.need_int_vector(x)
        if x.width < 2:
            keys.fail(f"needs elements of at least 2 bits, but its input is {x.describe()}")
        bits = keys.int("bits", 1, x.width - 1, rule=(
            f"must be an integer from 1 to {x.width - 1} (the incoming elements have "
            f"{x.width} bits)"))
        return cls(index, x, bits)

    @property
    def output(self):
        return Vector("int", self.input.elements, self.input.width - self.bits,
                      lanes=self.input.lanes)

    def significant_bits(self, sig_in):
        return [max(1, s - self.bits) if s else 0 for s in sig_in]

    def needed_bits(self, need_out, sig_in):
        return [need << self.bits for need in need_out], {}, 0

    def element_names(self, x, names):
        return [a if a == names.zero else names(("shift", a, self.bits)) for a in x], {}
