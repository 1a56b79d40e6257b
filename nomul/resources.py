"""The logic a design needs: the floor that synthesis results are compared with.

The analysis follows every element through the stages, as synthesis does:

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

__all__ = ["StageFloor", "floor"]


@dataclass
class StageFloor:
    instance: str
    flip_flops: int
    adder_bits: int


def _capped(need, sig):
    """The register bits holding the bits ``need`` (a bit mask) of a ``sig``-bit value."""
    if sig == 0:
        return 0
    low = need & ((1 << sig) - 1)
    return low | (1 << (sig - 1)) if need >> sig else low


def _prefix(need, sig):
    """Bits 0..k of an adder operand (``sig`` significant bits) for result bits ``need``."""
    if not need or sig == 0:
        return 0
    return (1 << min(need.bit_length(), sig)) - 1


def _fwht_sigs(stage, sig_in):
    """Significant bits of every element after wrapping the input and after each level."""
    sigs = [[min(s, stage.width) for s in sig_in] if stage.overflow == "wrap" else list(sig_in)]
    n = len(sig_in)
    for level in range(stage.levels):
        half, cap, prev, sig = 1 << level, stage.level_width(level), sigs[-1], [0] * n
        for i in range(n):
            if i & half:
                continue
            a, b = prev[i], prev[i + half]
            grown = min(cap, max(a, b) + 1)
            sig[i] = grown if a and b else max(a, b)                  # a + b
            sig[i + half] = grown if b else a                         # a - b: -b grows
        sigs.append(sig)
    return sigs


def _forward(stage, sig_in):
    """Significant bits of each output element (0: always zero)."""
    if stage.kind == "signflip":
        return [min(stage.output.width, s + (d < 0)) if s else 0
                for s, d in zip(sig_in, stage.signs)]
    if stage.kind == "fwht":
        return _fwht_sigs(stage, sig_in)[-1]
    if stage.kind == "shift":
        return [max(1, s - stage.bits) if s else 0 for s in sig_in]
    if stage.kind == "pad":
        return list(sig_in) + [0] * (stage.n - len(sig_in))
    return [stage.output.width] * stage.output.elements


def _backward(stage, need_out, sig_in):
    """``(needed bits per input element, {tap: needed bits per element}, adder bits)``
    for ``need_out``, the needed bits of each output element."""
    x = stage.input
    if stage.kind == "sign":
        return [(1 << (x.width - 1)) if need else 0 for need in need_out], {}, 0
    if stage.kind == "shift":
        return [need << stage.bits for need in need_out], {}, 0
    if stage.kind == "pad":
        return list(need_out[:x.elements]), {}, 0
    if stage.kind == "signflip":
        sig_out = _forward(stage, sig_in)
        held = [_capped(need, sig) for need, sig in zip(need_out, sig_out)]
        need_in, adder_bits = [], 0
        for need, s, d in zip(held, sig_in, stage.signs):
            if d < 0 and need:
                adder_bits += need.bit_length()
                need_in.append(_prefix(need, s))
            else:
                need_in.append(_capped(need, s))
        return need_in, {"flipped": held}, adder_bits
    if stage.kind == "fwht":
        sigs = _fwht_sigs(stage, sig_in)
        need, taps, adder_bits = list(need_out), {}, 0
        for level in reversed(range(stage.levels)):
            held = [_capped(nd, s) for nd, s in zip(need, sigs[level + 1])]
            if stage.is_registered(level):
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
                        need[a] |= _prefix(held[out], prev[a])
                        need[b] |= _prefix(held[out], prev[b])
                    elif prev[a]:
                        need[a] |= _capped(held[out], prev[a])        # a +- 0: a wire
                    elif prev[b]:
                        if negate_b:                                   # 0 - b
                            adder_bits += held[out].bit_length()
                            need[b] |= _prefix(held[out], prev[b])
                        else:
                            need[b] |= _capped(held[out], prev[b])
        return [_capped(nd, s) for nd, s in zip(need, sig_in)], taps, adder_bits
    every_bit = (1 << x.width) - 1 if any(need_out) else 0
    taps = ({tap.name: [(1 << tap.vector.width) - 1] * tap.vector.elements
             for tap in stage.taps} if every_bit else {})
    need_in = [every_bit] * x.elements
    if stage.kind == "xnor_popcount":
        adder_bits = 0
        for level in range(stage.levels):
            previous = stage.inputs if level == 0 else stage.terms(level - 1)
            adder_bits += stage.outputs * (previous // 2) * stage.level_vector(level).width
        if stage.result == "dot":
            adder_bits += stage.outputs * stage.output.width
        elif stage.result == "threshold":
            adder_bits += sum(stage.inputs.bit_length() for t in stage.thresholds
                              if 0 < t <= stage.inputs)
        return need_in, taps, adder_bits
    if stage.kind == "argmax":
        return need_in, taps, (stage.count - 1) * x.width
    raise ValueError(f"no floor for stage kind {stage.kind!r}")


class _Names:
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


def _names(stage, x, names):
    """``(output names, {tap: names per element})`` of ``stage`` for input names ``x``."""
    kind = stage.kind
    if kind == "signflip":
        y = [a if d > 0 else names.neg(a, stage.output.width) for a, d in zip(x, stage.signs)]
        return y, {"flipped": y}
    if kind == "fwht":
        y, taps = list(x), {}
        if stage.overflow == "wrap" and stage.input.width > stage.width:
            y = [a if a == names.zero else names(("wrap", a, stage.width)) for a in y]
        for level in range(stage.levels):
            half, width = 1 << level, stage.level_width(level)
            y = [names.add(y[i], y[i + half], width) if not i & half
                 else names.sub(y[i - half], y[i], width) for i in range(len(y))]
            if stage.is_registered(level):
                taps[f"level{level}"] = y
        return y, taps
    if kind == "pad":
        return list(x) + [names.zero] * (stage.n - len(x)), {}
    if kind == "shift":
        return [a if a == names.zero else names(("shift", a, stage.bits)) for a in x], {}
    if kind == "sign":
        return [names(("sign", a)) for a in x], {}
    if kind == "xnor_popcount":
        sums = [[names(("xnor", a, w)) for a, w in zip(x, row)]
                for row in stage.weight_matrix()]
        taps = {}
        for level in range(stage.levels - 1):
            sums = [[names.add(*pair, None) if len(pair) == 2 else pair[0]
                     for pair in (row[t:t + 2] for t in range(0, len(row), 2))]
                    for row in sums]
            if stage.is_registered(level):
                taps[f"level{level}"] = [t for row in sums for t in row]
        y = [names(("neuron", tuple(row), stage.result, threshold)) for row, threshold
             in zip(sums, stage.thresholds or (None,) * stage.outputs)]
        taps["result"] = y
        return y, taps
    if kind == "argmax":
        candidates, taps = [names(("leaf", a, j, stage.absolute)) for j, a in enumerate(x)], {}
        for level in range(stage.levels - 1):
            candidates = [names(("max", *pair)) if len(pair) == 2 else pair[0]
                          for pair in (candidates[t:t + 2]
                                       for t in range(0, len(candidates), 2))]
            if stage.is_registered(level):
                taps[f"level{level}"] = candidates
        y = [names(("argmax", tuple(candidates)))]
        taps["result"] = y
        return y, taps
    raise ValueError(f"no floor for stage kind {kind!r}")


def floor(design):
    """``(flip_flops, adder_bits, [StageFloor per stage])`` of ``design``."""
    sigs = [[design.input_width] * design.n]
    for stage in design.stages:
        sigs.append(_forward(stage, sigs[-1]))
    need = [(1 << design.output.width) - 1] * design.output.elements
    analysed = []
    for stage, sig_in in zip(reversed(design.stages), reversed(sigs[:-1])):
        need, tap_need, adder_bits = _backward(stage, need, sig_in)
        analysed.append((stage, tap_need, adder_bits))
    analysed.reverse()

    names = _Names()
    x = [names(("input", j)) for j in range(design.n)]
    stages = []
    for stage, tap_need, adder_bits in analysed:
        x, tap_names = _names(stage, x, names)
        flip_flops, valid_bits = 0, stage.latency   # the handshake needs every valid bit
        for tap in stage.taps:
            needs = tap_need.get(tap.name)
            if not needs:
                continue
            # Elements that are equal by construction share their registers.
            merged = {}
            for name, element_need in zip(tap_names[tap.name], needs):
                merged[name] = merged.get(name, 0) | element_need
            flip_flops += sum(bin(mask).count("1") for mask in merged.values())
        stages.append(StageFloor(stage.instance, flip_flops + valid_bits, adder_bits))
    return (sum(s.flip_flops for s in stages), sum(s.adder_bits for s in stages), stages)
