"""The logic a design needs: the floor that synthesis results are compared with.

- **Flip-flops**: the pipeline register bits that can reach the output, plus one valid
  bit per register. Synthesis removes bits that cannot reach it (the low bits before a
  ``shift``, all but the sign bit before a ``sign``) and merges the copies of a sign bit
  (a wrap width wider than the values can grow); it also removes elements that are
  always zero and merges elements that are always equal (both come with padding), which
  are found by running the golden model on random inputs.
- **Adder bits**: one adder, subtractor or comparator bit per needed result bit: for an
  FWHT, per level, ``n`` adders as wide as the highest needed, significant bit of that
  level; for a sign flip, one incrementer per negated element; for a popcount tree, each
  sum as wide as its largest value; for argmax, one comparator per pair. Adders whose
  operand is a constant zero (after padding) still count, so a padded design can come
  in under this figure.
"""

from dataclasses import dataclass

import numpy as np

from .golden.functional import run_with_taps

__all__ = ["StageFloor", "floor"]

SAMPLES = 96


@dataclass
class StageFloor:
    instance: str
    flip_flops: int
    adder_bits: int


def _significant(stage, sig_in):
    """Significant bits of the output elements (the others copy the sign bit)."""
    if stage.kind == "signflip":
        return min(stage.output.width, sig_in + 1)
    if stage.kind == "fwht":
        return _fwht_significant(stage, sig_in)[-1]
    if stage.kind == "shift":
        return max(1, sig_in - stage.bits)
    if stage.kind == "pad":
        return sig_in
    return stage.output.width


def _fwht_significant(stage, sig_in):
    """Significant bits of the FWHT's input (after wrapping) and of each level."""
    sigs = [sig_in if stage.overflow == "grow" else min(stage.width, sig_in)]
    for level in range(stage.levels):
        sigs.append(min(stage.level_width(level), sigs[-1] + 1))
    return sigs


def _needed(live, sig):
    """The distinct register bits that hold the ``live`` bits of a ``sig``-bit value."""
    return {min(k, sig - 1) for k in live}


def _prefix(live, sig):
    """Bits 0..k of an adder's inputs, for the highest needed result bit ``k`` (a bit
    above the significant ones is a copy of the top significant bit)."""
    return set(range(min(max(live), sig - 1) + 1)) if live else set()


def _adders(stage, live_out, sig_in):
    """``(live bits of the input elements, {tap name: register bits needed per element},
    adder bits)``."""
    x = stage.input
    every_bit = set(range(x.width)) if live_out else set()
    if stage.kind == "sign":
        return ({x.width - 1} if live_out else set()), {}, 0
    if stage.kind == "shift":
        return {k + stage.bits for k in live_out}, {}, 0
    if stage.kind == "pad":
        return set(live_out), {}, 0
    if stage.kind == "signflip":
        negated = sum(1 for s in stage.signs if s < 0)
        needed = _needed(live_out, _significant(stage, sig_in))
        top = max(needed) if needed else -1
        return _prefix(live_out, sig_in), {"flipped": len(needed)}, negated * (top + 1)
    if stage.kind == "fwht":
        sigs = _fwht_significant(stage, sig_in)
        live, taps, adder_bits = set(live_out), {}, 0
        for level in reversed(range(stage.levels)):
            needed = _needed(live, sigs[level + 1])
            if stage.is_registered(level):
                taps[f"level{level}"] = len(needed)
            adder_bits += x.elements * (max(needed) + 1 if needed else 0)
            live = _prefix(live, sigs[level])
        return live, taps, adder_bits
    taps = {tap.name: tap.vector.width for tap in stage.taps} if live_out else {}
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
        return every_bit, taps, adder_bits
    if stage.kind == "argmax":
        return every_bit, taps, (stage.count - 1) * x.width
    raise ValueError(f"no floor for stage kind {stage.kind!r}")


def floor(design):
    """``(flip_flops, adder_bits, [StageFloor per stage])`` of ``design``."""
    significant = [design.input_width]
    for stage in design.stages:
        significant.append(_significant(stage, significant[-1]))
    live = set(range(design.output.width))
    analysed = []
    for stage, sig_in in zip(reversed(design.stages), reversed(significant[:-1])):
        live, tap_live, adder_bits = _adders(stage, live, sig_in)
        analysed.append((stage, tap_live, adder_bits))
    analysed.reverse()

    rng = np.random.default_rng(0)
    half = 1 << (design.input_width - 1)
    x = rng.integers(-half, half, (SAMPLES, design.n))
    _, tap_values = run_with_taps(design, x)
    stages = []
    for stage, tap_bits, adder_bits in analysed:
        flip_flops = 0
        for tap in stage.taps:
            values = tap_values[f"{stage.instance}.{tap.name}"]
            varying = [column.tobytes() for column in values.T if column.min() != column.max()]
            flip_flops += len(set(varying)) * tap_bits.get(tap.name, 0)
        valid_bits = stage.latency if tap_bits else 0
        stages.append(StageFloor(stage.instance, flip_flops + valid_bits, adder_bits))
    return (sum(s.flip_flops for s in stages), sum(s.adder_bits for s in stages), stages)
