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
    """The vectors the sink took from the hardware, in order (nothing moves in reset)."""
    out = design.output
    reset = np.zeros(len(out_ready), bool) if reset is None else reset
    return np.array([unpack(seen.out_payload[t], out.elements, out.width, out.signed)
                     for t in range(len(out_ready))
                     if seen.out_valid[t] and out_ready[t] and not reset[t]])


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("in_duty, out_duty", DUTIES)
def test_examples_under_stalls(path, in_duty, out_duty):
    design = load_design(path)
    seed = int(in_duty * 10) * 10 + int(out_duty * 10)
    x = stimulus(design, seed, 40)
    in_valid, out_ready = stall_patterns(seed, 400, in_duty, out_duty, long_stall=15)
    trace = cycle.simulate(design, x, in_valid, out_ready)
    seen = observe(design, x, in_valid, out_ready)
    assert compare(design, trace, seen) is None, f"seed {seed}"
    # Independently of the cycle model: nothing lost, duplicated or reordered.
    got = hardware_outputs(design, seen, out_ready)
    assert len(got) == len(x), f"seed {seed}: only {len(got)} of {len(x)} vectors out"
    np.testing.assert_array_equal(got, ref_design(design, x))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
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
    log_n = draw(st.integers(1, 5))
    input_width = draw(st.integers(2, 12))
    stages, width = [], input_width
    if draw(st.booleans()):
        overflow = draw(st.sampled_from(["wrap", "grow"]))
        stages.append({"kind": "signflip", "seed": draw(st.integers(0, 2**64 - 1)),
                       "overflow": overflow})
        width += overflow == "grow"
    fwht = {"kind": "fwht", "register": draw(st.integers(1, log_n)),
            "overflow": draw(st.sampled_from(["wrap", "grow"]))}
    if fwht["overflow"] == "wrap":
        fwht["width"] = draw(st.integers(2, 20))
    stages.append(fwht)
    if draw(st.booleans()):
        stages.append({"kind": "sign"})
    return parse_design({"name": "h", "n": 2**log_n, "input_width": input_width,
                         "stage": stages})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(design=designs(), seed=st.integers(0, 2**32),
       in_duty=st.sampled_from([1.0, 0.6, 0.3]), out_duty=st.sampled_from([1.0, 0.6, 0.3]))
def test_random_designs(design, seed, in_duty, out_duty):
    x = stimulus(design, seed, 12)
    in_valid, out_ready = stall_patterns(seed, 120, in_duty, out_duty, long_stall=8)
    reset = np.zeros(120, bool)
    reset[60] = True
    report = check(design, x, in_valid, out_ready, reset)
    assert report.mismatch is None, f"{design.describe()} seed {seed}: {report.mismatch}"
