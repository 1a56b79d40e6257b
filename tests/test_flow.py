"""The credit flow form (design key flow = "credit"): stages that never stall, an output
buffer and a registered i.ready. Compared with the stall form of the same stages, and with
the hardware in Amaranth's simulator."""

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from nomul.design import DesignError, parse_design
from nomul.flow import BUFFER_LATENCY, buffer_banks
from nomul.golden import cycle
from nomul.sim.amaranth_sim import check, compare, observe
from nomul.verilog import generate
from reference import random_vectors, ref_design
from test_top import designs, hardware_outputs


def hd_block(flow="credit", n=16, parallelism=None, **design):
    return parse_design({
        "name": "hd", "n": n, "input_width": 8, "flow": flow,
        "parallelism": parallelism or n, **design,
        "stage": [{"kind": "signflip", "seed": 5}, {"kind": "fwht", "register": 1},
                  {"kind": "sign"}]})


def wide():
    """An output beat of 32 x 13 = 416 bits: a buffer in two banks (288 + 128 bits)."""
    design = parse_design({"name": "wide", "n": 32, "input_width": 8, "flow": "credit",
                           "stage": [{"kind": "signflip", "seed": 5},
                                     {"kind": "fwht", "overflow": "grow", "register": 2}]})
    assert design.output.beat.total_width == 416 and buffer_banks(design) == 2
    return design


def as_flow(design, flow):
    return dataclasses.replace(design, flow=flow)


def full_rate_matches(design):
    """With input offered and o.ready high on every cycle, the credit form takes the same
    beats on the same cycles as the stall form and gives each result BUFFER_LATENCY cycles
    later: the buffer is deep enough never to stop it."""
    x = random_vectors(np.random.default_rng(1), 12, design.n, design.input_width)
    cycles = 12 * design.interval + 2 * design.latency + 20
    ones = np.ones(cycles, bool)
    stall = cycle.simulate(as_flow(design, "stall"), x, ones, ones)
    credit = cycle.simulate(as_flow(design, "credit"), x, ones, ones)
    np.testing.assert_array_equal(credit.accepted, stall.accepted)
    np.testing.assert_array_equal(credit.output.index[BUFFER_LATENCY:],
                                  stall.output.index[:-BUFFER_LATENCY])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(design=designs())
def test_at_full_rate_credits_take_what_the_stall_form_takes(design):
    full_rate_matches(design)


@pytest.mark.parametrize("n, parallelism, pad", [(2, 1, 4), (4, 2, 16), (16, 1, 128),
                                                 (8, 8, 32)])
def test_at_full_rate_with_a_pad_after_registers(n, parallelism, pad):
    """Registers before a pad hold vectors while it sends its zero beats, so vectors wait
    longer than the latency: the buffer depth comes from the cycle model, not from it."""
    design = parse_design({"name": "p", "n": n, "input_width": 4, "flow": "credit",
                           "parallelism": parallelism, "stage": [
                               {"kind": "signflip", "seed": 1},
                               {"kind": "fwht", "register": 1}, {"kind": "pad", "n": pad},
                               {"kind": "fwht", "register": 2}]})
    full_rate_matches(design)


@pytest.mark.parametrize("make", [lambda: hd_block(parallelism=16),
                                  lambda: hd_block(parallelism=4), wide],
                         ids=["parallel", "streaming", "two-banks"])
def test_a_consumer_that_waits_long_loses_nothing(make):
    """o.ready low for 300 cycles while the source offers on every cycle: i.ready falls
    once the buffer is spoken for, nothing is lost, duplicated or reordered, and the
    hardware matches the cycle model on every cycle."""
    design = make()
    x = random_vectors(np.random.default_rng(2), 40, design.n, design.input_width)
    cycles = 300 + 60 * design.interval + 2 * design.latency
    in_valid = np.ones(cycles, bool)
    out_ready = np.ones(cycles, bool)
    out_ready[20:320] = False
    trace = cycle.simulate(design, x, in_valid, out_ready)
    seen = observe(design, x, in_valid, out_ready)
    assert compare(design, trace, seen) is None
    waiting = seen.in_ready[40:320]
    assert not waiting.any(), "i.ready should stay low while the buffer is full"
    vectors_in = -(-(trace.accepted[:320] >= 0).sum() // design.input.beats)
    owed = vectors_in * design.output.beats - (trace.delivered[:320] >= 0).sum()
    room = design.buffer_depth - owed      # less than a vector's beats: no credit left
    assert 0 <= room < design.output.beats, "the buffer should fill, never overflow"
    got = hardware_outputs(design, seen, out_ready)
    np.testing.assert_array_equal(got, ref_design(design, x))


def test_i_ready_does_not_depend_on_o_ready_in_the_same_cycle():
    """Two runs that differ only in o.ready on one cycle show the same i.ready on that
    cycle in the credit form; in the stall form they do not (so the test can tell)."""
    for flow, independent in (("credit", True), ("stall", False)):
        design = hd_block(flow)
        x = random_vectors(np.random.default_rng(3), 30, design.n, design.input_width)
        in_valid = np.ones(80, bool)
        out_ready = np.ones(80, bool)
        out_ready[10:30] = False
        differs = []
        for t in (9, 12, 30, 31):
            other = out_ready.copy()
            other[t] = not other[t]
            a, b = observe(design, x, in_valid, out_ready), observe(design, x, in_valid, other)
            differs.append(a.in_ready[t] != b.in_ready[t])
        assert not any(differs) if independent else any(differs), flow


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), in_duty=st.sampled_from([1.0, 0.5]),
       out_duty=st.sampled_from([1.0, 0.4, 0.1]), parallelism=st.sampled_from([16, 8, 2]),
       two_banks=st.booleans())
def test_credit_form_under_stalls_and_resets(seed, in_duty, out_duty, parallelism, two_banks):
    design = wide() if two_banks else hd_block(parallelism=parallelism)
    x = random_vectors(np.random.default_rng(seed), 10, design.n, design.input_width)
    cycles = int(12 * design.interval / (in_duty * out_duty)) + 4 * design.latency + 60
    rng = np.random.default_rng(seed)
    in_valid = rng.random(cycles) < in_duty
    out_ready = rng.random(cycles) < out_duty
    reset = np.zeros(cycles, bool)
    reset[rng.integers(1, cycles)] = True
    report = check(design, x, in_valid, out_ready, reset)
    assert report.mismatch is None, f"seed {seed}: {report.mismatch}"


def test_design_files_choose_the_flow():
    assert hd_block("stall").flow == "stall" and hd_block("stall").buffer_depth == 0
    stall, credit = hd_block("stall"), hd_block("credit")
    assert credit.latency == stall.latency + BUFFER_LATENCY
    assert credit.digest != stall.digest
    with pytest.raises(DesignError, match=r'^design: flow = "fast": must be one of '
                                          r'"stall", "credit"$'):
        hd_block("fast")
    with pytest.raises(DesignError, match="skid = true is for flow = \"stall\""):
        parse_design({"name": "s", "n": 4, "input_width": 4, "flow": "credit",
                      "stage": [{"kind": "fwht", "skid": True}]})


def test_manifest_names_the_flow_and_the_buffer():
    design = hd_block(parallelism=4)
    _, manifest = generate(design)
    assert manifest["flow"] == "credit" and "credit" in manifest["flow_description"]
    assert manifest["buffer_depth"] == design.buffer_depth >= 3
    assert manifest["latency"] == design.latency
