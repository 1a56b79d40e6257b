"""The logic a design needs: the floor that synthesis results are compared with.

The analysis follows every element through the stages, as synthesis does; each stage kind
supplies its own part (``significant_bits``, ``needed_bits``, ``element_names`` of
:class:`nomul.stages.Stage`) and this module adds them up:

- each element has a number of *significant* bits; the bits above are copies of its sign
  bit, which synthesis merges (a grow sign flip widens only the negated elements; a wrap
  width wider than the values can grow adds only copies), and padded elements are the
  constant zero;
- each register bit is *needed* only if it can reach the output: not the low bits before
  a ``shift``, only the sign bit before a ``sign``; an adder's result bit ``k`` needs bits
  ``0..k`` of both operands, while ``a + 0`` is a plain wire.

**Flip-flops**: the needed register bits plus one valid bit per register, counting
elements that are equal by construction once, since synthesis merges them: every element
is named by the operation that makes it and the names of its operands (``a + 0`` is
``a``; ``a + b`` is ``b + a``), as yosys's structural merging sees it, so the repeats
that padding causes are found exactly, without sampling.

**Adder bits**: one adder, subtractor or comparator bit per needed result bit: for an
FWHT, each butterfly output as wide as its highest needed bit (none where an operand is
the constant zero); for a sign flip, one incrementer per negated element; for a popcount
tree, each sum as wide as its largest value; for argmax, one comparator per pair.
"""

from dataclasses import dataclass

from .flow import buffer_state_bits, buffer_words

__all__ = ["StageFloor", "floor", "memory_bits", "capped", "prefix", "Names"]


@dataclass
class StageFloor:
    instance: str
    flip_flops: int
    adder_bits: int
    memory_bits: int = 0


def capped(need, sig):
    """The register bits holding the bits ``need`` (a bit mask) of a ``sig``-bit value."""
    if sig == 0:
        return 0
    low = need & ((1 << sig) - 1)
    return low | (1 << (sig - 1)) if need >> sig else low


def prefix(need, sig):
    """Bits 0..k of an adder operand (``sig`` significant bits) for result bits ``need``."""
    if not need or sig == 0:
        return 0
    return (1 << min(need.bit_length(), sig)) - 1


class Names:
    """Structural names of values: equal names for values built by equal operations
    from equal operands."""

    def __init__(self):
        self.table = {}
        self.zero = self(("zero",))

    def __call__(self, key):
        return self.table.setdefault(key, len(self.table))

    def add(self, a, b, width):
        if b == self.zero:
            return a
        if a == self.zero:
            return b
        return self(("add", min(a, b), max(a, b), width))

    def sub(self, a, b, width):
        if b == self.zero:
            return a
        if a == self.zero:
            return self.neg(b, width)
        return self(("sub", a, b, width))

    def neg(self, a, width):
        return a if a == self.zero else self(("neg", a, width))


def floor(design):
    """``(flip_flops, adder_bits, [StageFloor per stage])`` of ``design``."""
    sigs = [[design.input_width] * design.n]
    for stage in design.stages:
        sigs.append(stage.significant_bits(sigs[-1]))
    need = [(1 << design.output.width) - 1] * design.output.elements
    analysed = []
    for stage, sig_in in zip(reversed(design.stages), reversed(sigs[:-1])):
        need_out = need
        need, tap_need, adder_bits = stage.needed_bits(need, sig_in)
        if stage.skid:                  # the buffer holds what the output needs
            tap_need["buffer"] = tap_need["buffer_spare"] = need_out
        analysed.append((stage, tap_need, adder_bits))
    analysed.reverse()

    names = Names()
    x = [names(("input", j)) for j in range(design.n)]
    stages = []
    for stage, tap_need, adder_bits in analysed:
        x, tap_names = stage.element_names(x, names)
        tap_names.setdefault("buffer", x)
        tap_names.setdefault("buffer_spare", x)
        flip_flops = len(stage.taps)            # the handshake needs every valid bit
        for tap in stage.taps:
            needs = tap_need.get(tap.name)
            if not needs:
                continue
            if stage.form == "streaming":
                # One register per lane serves every beat: it holds what any beat needs.
                lanes = tap.vector.elements
                per_lane = [0] * lanes
                for j, element_need in enumerate(needs):
                    per_lane[j % lanes] |= element_need
                flip_flops += sum(bin(mask).count("1") for mask in per_lane)
                continue
            # Elements that are equal by construction share their registers.
            merged = {}
            for name, element_need in zip(tap_names[tap.name], needs):
                merged[name] = merged.get(name, 0) | element_need
            flip_flops += sum(bin(mask).count("1") for mask in merged.values())
        if stage.form == "streaming":
            adder_bits = stage.streaming_adder_bits(adder_bits)
        flip_flops += stage.state_bits()
        stages.append(StageFloor(stage.instance, flip_flops, adder_bits, stage.memory_bits()))
    if design.buffered:
        words = buffer_words(design.buffer_depth)
        stages.append(StageFloor("output_buffer", buffer_state_bits(design), 0,
                                 words * design.output.beat.total_width))
    return (sum(s.flip_flops for s in stages), sum(s.adder_bits for s in stages), stages)


def memory_bits(stages):
    """The memory bits (delay lines and ROMs in block RAM) of ``stages``, a list of
    :class:`StageFloor`."""
    return sum(s.memory_bits for s in stages)
