"""Whole designs in Amaranth's simulator: every register compared with the cycle model on
every cycle, under random valid/ready patterns, resets in mid-stream and extreme inputs."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from nomul.design import load_design, parse_design
from nomul.golden import cycle
from nomul.packing import unpack
from nomul.sim.amaranth_sim import check, compare, observe
from nomul.sim.patterns import stall_patterns
from reference import extreme_vectors, random_vectors, ref_design

EXAMPLES = sorted(Path(__file__).parent.parent.glob("examples/*.toml"))
DUTIES = [(1.0, 1.0), (1.0, 0.5), (0.5, 1.0), (0.3, 0.7), (0.8, 0.2)]


def stimulus(design, seed, count):
    rng = np.random.default_rng(seed)
    return np.vstack([extreme_vectors(design.n, design.input_width),
                      random_vectors(rng, count, design.n, design.input_width)])


def hardware_outputs(design, seen, out_ready, reset=None):
    """The vectors the sink took from the hardware, in order (nothing moves in reset),
    their beats joined."""
    out = design.output
    reset = np.zeros(len(out_ready), bool) if reset is None else reset
    beats = [unpack(seen.out_payload[t], out.lanes, out.width, out.signed)
             for t in range(len(out_ready))
             if seen.out_valid[t] and out_ready[t] and not reset[t]]
    return np.array(beats).reshape(-1, out.elements)


# Examples that take hundreds of cycles per vector run under one stall pattern only.
SLOW = {path for path in EXAMPLES if load_design(path).interval > 64}


@pytest.mark.parametrize("path, in_duty, out_duty", [
    (path, *duties) for path in EXAMPLES for duties in DUTIES
    if path not in SLOW or duties == (0.3, 0.7)], ids=lambda v: getattr(v, "stem", str(v)))
def test_examples_under_stalls(path, in_duty, out_duty):
    design = load_design(path)
    seed = int(in_duty * 10) * 10 + int(out_duty * 10)
    # Streaming examples take `interval` cycles per vector: fewer vectors, more cycles.
    x = stimulus(design, seed, 40 if design.interval == 1 else 1)
    cycles = max(400, int(len(x) * design.interval / (in_duty * out_duty) * 1.2)
                 + 3 * design.latency)
    in_valid, out_ready = stall_patterns(seed, cycles, in_duty, out_duty, long_stall=15)
    trace = cycle.simulate(design, x, in_valid, out_ready)
    seen = observe(design, x, in_valid, out_ready)
    assert compare(design, trace, seen) is None, f"seed {seed}"
    # Independently of the cycle model: nothing lost, duplicated or reordered.
    got = hardware_outputs(design, seen, out_ready)
    assert len(got) == len(x), f"seed {seed}: only {len(got)} of {len(x)} vectors out"
    np.testing.assert_array_equal(got, ref_design(design, x))


# Vectors dropped by a reset are named by their index here, so one beat per vector;
# tests/test_streaming.py resets streaming designs in mid-vector.
PARALLEL_EXAMPLES = [path for path in EXAMPLES if load_design(path).interval == 1]


@pytest.mark.parametrize("path", PARALLEL_EXAMPLES, ids=lambda p: p.stem)
def test_examples_reset_in_mid_stream(path):
    design = load_design(path)
    x = stimulus(design, 9, 60)
    in_valid, out_ready = stall_patterns(9, 240, 0.9, 0.7)
    reset = np.zeros(240, bool)
    reset[[25, 26, 90, 91 + design.latency]] = True
    trace = cycle.simulate(design, x, in_valid, out_ready, reset)
    seen = observe(design, x, in_valid, out_ready, reset)
    assert compare(design, trace, seen) is None
    lost = set(trace.accepted[trace.accepted >= 0]) - set(trace.delivered[trace.delivered >= 0])
    assert lost, "the resets should have dropped the vectors in flight"
    got = hardware_outputs(design, seen, out_ready, reset)
    kept = sorted(set(trace.delivered[trace.delivered >= 0]))
    np.testing.assert_array_equal(got, ref_design(design, x[kept]))


def test_comparison_catches_a_stall_bug():
    """A design whose output is one cycle late must be caught: shift the observed
    trace by one cycle and the comparison has to fail."""
    design = load_design(Path(__file__).parent.parent / "examples/fwht16_wrap.toml")
    x = stimulus(design, 1, 10)
    ones = np.ones(30, bool)
    trace = cycle.simulate(design, x, ones, ones)
    seen = observe(design, x, ones, ones)
    seen.out_valid = np.roll(seen.out_valid, 1)
    assert compare(design, trace, seen).startswith(f"cycle {design.latency}: o valid is 0")


@st.composite
def designs(draw):
    """Chains of up to five stages of every kind, each drawn among those that accept the
    vector the chain has reached (signed, unsigned or bits)."""
    log_n = draw(st.integers(1, 4))
    flow = draw(st.sampled_from(["stall", "credit"]))
    input_width = draw(st.integers(2, 10))
    parallelism = 2 ** draw(st.integers(0, log_n))
    kind, elements, width = "int", 2 ** log_n, input_width
    stages = []
    for _ in range(draw(st.integers(1, 5))):
        choices = {"int": ["signflip", "fwht", "pad", "shift", "sign", "argmax"],
                   "uint": ["argmax"], "bits": ["xnor_popcount"]}[kind]
        if elements >= 32:
            choices = [c for c in choices if c != "pad"]
        if width < 3:
            choices = [c for c in choices if c != "shift"]
        if elements < 2 or elements & (elements - 1):
            choices = [c for c in choices if c != "fwht"]
        if not choices:
            break
        choice = draw(st.sampled_from(choices))
        stage = {"kind": choice}
        if choice == "signflip":
            stage.update(seed=draw(st.integers(0, 2**64 - 1)),
                         overflow=draw(st.sampled_from(["wrap", "grow"])))
            width += stage["overflow"] == "grow"
        elif choice == "fwht":
            levels = elements.bit_length() - 1
            stage.update(register=draw(st.integers(1, levels)),
                         overflow=draw(st.sampled_from(["wrap", "grow"])))
            if stage["overflow"] == "wrap":
                stage["width"] = width = draw(st.integers(2, 20))
            else:
                width += levels
        elif choice == "pad":
            stage["n"] = elements = (1 << elements.bit_length()) * draw(st.sampled_from([1, 2]))
        elif choice == "shift":
            stage["bits"] = bits = draw(st.integers(1, width - 2))
            width -= bits
        elif choice == "sign":
            kind, width = "bits", 1
        elif choice == "xnor_popcount":
            outputs = draw(st.integers(1, 5))
            result = draw(st.sampled_from(["popcount", "dot", "threshold"]))
            stage.update(outputs=outputs, seed=draw(st.integers(0, 2**64 - 1)), result=result,
                         register=draw(st.integers(1, max(1, (elements - 1).bit_length()))))
            if result == "threshold":
                stage["thresholds"] = draw(st.lists(st.integers(-1, elements + 2),
                                                    min_size=outputs, max_size=outputs))
            kind = {"popcount": "uint", "dot": "int", "threshold": "bits"}[result]
            width = elements.bit_length() + (result == "dot") if result != "threshold" else 1
            elements = outputs
        else:
            stage["absolute"] = kind == "int" and draw(st.booleans())
        if (choice in ("signflip", "fwht", "xnor_popcount", "argmax") and flow == "stall"
                and draw(st.booleans())):
            stage["skid"] = True
        stages.append(stage)
        if choice == "argmax":
            break
    return parse_design({"name": "h", "n": 2**log_n, "input_width": input_width,
                         "parallelism": parallelism, "flow": flow, "stage": stages})


def test_the_design_strategy_draws_every_stage_kind():
    from hypothesis import find
    for kind in ("signflip", "fwht", "pad", "shift", "sign", "xnor_popcount", "argmax"):
        for form in ("parallel", "streaming"):
            for flow in ("stall", "credit"):
                find(designs(), lambda d: d.flow == flow and (kind, form) in (
                    (s.kind, s.form) for s in d.stages))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(design=designs(), seed=st.integers(0, 2**32),
       in_duty=st.sampled_from([1.0, 0.6, 0.3]), out_duty=st.sampled_from([1.0, 0.6, 0.3]))
def test_random_designs(design, seed, in_duty, out_duty):
    x = stimulus(design, seed, 12)
    cycles = int(18 * design.interval / (in_duty * out_duty)) + 4 * design.latency + 40
    in_valid, out_ready = stall_patterns(seed, cycles, in_duty, out_duty, long_stall=8)
    reset = np.zeros(cycles, bool)
    reset[cycles // 3] = True
    report = check(design, x, in_valid, out_ready, reset)
    assert report.mismatch is None, f"{design.describe()} seed {seed}: {report.mismatch}"
    assert report.vectors >= 6, f"{design.describe()} seed {seed}: {report.vectors} out"
