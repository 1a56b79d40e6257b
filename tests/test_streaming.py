"""Streaming forms (parallelism p < n): vectors cross the ports as beats of p lanes. The
hardware matches the cycle model on every tap and every cycle under stalls and resets,
gives the reference outputs, and keeps exactly the latency and interval it states."""

import re

import numpy as np
import pytest

from nomul.design import DesignError, parse_design
from nomul.golden import cycle
from nomul.hdl.fwht import MEMORY_DEPTH
from nomul.packing import unpack
from nomul.sim.amaranth_sim import compare, observe
from nomul.sim.patterns import stall_patterns
from reference import ref_design


def design(n, p, stages, width=6):
    return parse_design({"name": "s", "n": n, "input_width": width, "parallelism": p,
                         "stage": stages})


HD = [{"kind": "signflip", "seed": 5}, {"kind": "fwht", "overflow": "grow"}]
DESIGNS = {
    "hd16_p4": design(16, 4, HD),
    "hd16_p1": design(16, 1, HD),
    "fwht_wrap64_p2_memory": design(64, 2, [{"kind": "fwht", "width": 9, "register": 2}]),
    "fwht128_p2_memory": design(128, 2, [{"kind": "fwht", "overflow": "grow"}]),
    "hash_xnor": design(32, 4, HD + [{"kind": "sign"},
                                     {"kind": "xnor_popcount", "outputs": 5, "seed": 2,
                                      "result": "threshold",
                                      "thresholds": [0, 12, 16, 20, 33]}]),
    "xnor_p1_dot": design(8, 1, [{"kind": "sign"},
                                 {"kind": "xnor_popcount", "outputs": 3, "seed": 7,
                                  "result": "dot", "register": 2}]),
    "pad_shift_argmax": design(16, 4, [{"kind": "pad", "n": 64},
                                       {"kind": "fwht", "overflow": "grow"},
                                       {"kind": "shift", "bits": 3},
                                       {"kind": "argmax", "absolute": True}]),
    "cross_polytope_p2": design(32, 2, HD + [{"kind": "fwht", "width": 10},
                                             {"kind": "argmax", "absolute": True,
                                              "register": 2}]),
    "classifier": design(16, 4, HD + [{"kind": "sign"},
                                      {"kind": "xnor_popcount", "outputs": 8, "seed": 3},
                                      {"kind": "argmax"}]),
    "classifier_skid": design(16, 4, [{"kind": "signflip", "seed": 5, "skid": True},
                                      {"kind": "fwht", "overflow": "grow", "skid": True},
                                      {"kind": "sign"},
                                      {"kind": "xnor_popcount", "outputs": 8, "seed": 3,
                                       "skid": True},
                                      {"kind": "argmax", "skid": True}]),
    "parallel_skid": design(8, 8, [{"kind": "signflip", "seed": 5, "skid": True},
                                   {"kind": "fwht", "overflow": "grow", "skid": True},
                                   {"kind": "sign"}]),
}


def vectors_for(d, count, seed):
    half = 1 << (d.input_width - 1)
    rng = np.random.default_rng(seed)
    extremes = np.array([[-half] * d.n, [half - 1] * d.n])
    return np.vstack([extremes, rng.integers(-half, half, (count, d.n))])


def test_the_designs_use_memory_delay_lines_and_every_folded_kind():
    forms = {(s.kind, s.form) for d in DESIGNS.values() for s in d.stages}
    assert {("fwht", "streaming"), ("signflip", "streaming"), ("pad", "streaming"),
            ("xnor_popcount", "streaming"), ("argmax", "streaming"),
            ("shift", "streaming"), ("sign", "streaming")} <= forms
    spans = [1 << (level - s.lane_levels) for d in DESIGNS.values() for s in d.stages
             if s.kind == "fwht" for level in range(s.lane_levels, s.levels)]
    assert max(spans) >= 2 * MEMORY_DEPTH


@pytest.mark.parametrize("name", DESIGNS)
def test_full_rate_timing_and_values(name):
    """Input offered every cycle, output always ready: the first beat of vector k's result
    is valid exactly latency + k * interval cycles after vector 0's first beat went in,
    its beats follow on consecutive cycles, and every value is the reference's."""
    d = DESIGNS[name]
    x = vectors_for(d, 6, 1)
    cycles = d.latency + (len(x) + 1) * d.interval + 5
    ones = np.ones(cycles, bool)
    seen = observe(d, x, ones, ones)
    assert compare(d, cycle.simulate(d, x, ones, ones), seen) is None
    assert seen.in_ready[0]
    out = d.output
    valid = np.flatnonzero(seen.out_valid)
    assert len(valid) == len(x) * out.beats
    firsts = valid[::out.beats]
    np.testing.assert_array_equal(firsts, d.latency + d.interval * np.arange(len(x)))
    for k, first in enumerate(firsts):
        assert list(valid[k * out.beats:(k + 1) * out.beats]) == list(
            range(first, first + out.beats))
    beats = [unpack(seen.out_payload[t], out.lanes, out.width, out.signed) for t in valid]
    got = np.concatenate(beats).reshape(len(x), out.elements)
    np.testing.assert_array_equal(got, ref_design(d, x))


@pytest.mark.parametrize("name", DESIGNS)
@pytest.mark.parametrize("in_duty, out_duty", [(0.5, 1.0), (1.0, 0.4), (0.7, 0.6)])
def test_every_tap_under_stalls_and_resets(name, in_duty, out_duty):
    d = DESIGNS[name]
    seed = int(in_duty * 10) * 10 + int(out_duty * 10)
    x = vectors_for(d, 10, seed)
    cycles = int(len(x) * d.interval / (in_duty * out_duty)) + 3 * d.latency + 60
    in_valid, out_ready = stall_patterns(seed, cycles, in_duty, out_duty, long_stall=9)
    reset = np.zeros(cycles, bool)
    reset[[cycles // 4, cycles // 4 + 1 + d.interval // 2]] = True     # mid-vector too
    trace = cycle.simulate(d, x, in_valid, out_ready, reset)
    seen = observe(d, x, in_valid, out_ready, reset)
    assert compare(d, trace, seen) is None, f"seed {seed}"
    assert trace.vectors_out >= len(x) // 2


@pytest.mark.parametrize("table, message", [
    ({"parallelism": 3}, "parallelism = 3: must be a power of two from 1 to n = 16: the "
                         "elements of a vector that cross the input port per beat"),
    ({"parallelism": 32}, "parallelism = 32: must be a power of two from 1 to n = 16: the "
                          "elements of a vector that cross the input port per beat"),
    ({"parallelism": 0}, "parallelism = 0: must be a power of two from 1 to n = 16: the "
                         "elements of a vector that cross the input port per beat"),
])
def test_bad_parallelism(table, message):
    with pytest.raises(DesignError, match="^" + re.escape(f"d.toml: {message}") + "$"):
        parse_design({"name": "s", "n": 16, "input_width": 4, **table,
                      "stage": [{"kind": "sign"}]}, "d.toml")


def test_beats_and_lanes_follow_the_stages():
    d = DESIGNS["classifier"]
    flip, fwht, sign, xnor, argmax = d.stages
    assert (d.input.lanes, d.input.beats) == (4, 4)
    assert (fwht.output.lanes, fwht.output.beats, sign.output.beats) == (4, 4, 4)
    assert (xnor.output.lanes, xnor.output.beats) == (8, 1) and argmax.form == "parallel"
    pad = DESIGNS["pad_shift_argmax"].stages[0]
    assert (pad.output.lanes, pad.output.beats, pad.interval) == (4, 16, 16)
    parallel_pad = design(4, 4, [{"kind": "pad", "n": 16}]).stages[0]
    assert (parallel_pad.output.lanes, parallel_pad.form) == (16, "parallel")


def test_a_skid_buffer_cuts_the_ready_path_and_costs_one_cycle():
    plain, skid = DESIGNS["classifier"], DESIGNS["classifier_skid"]
    assert skid.latency == plain.latency + 4 and skid.interval == plain.interval
    assert [t.name for t in skid.stages[1].taps][-2:] == ["buffer", "buffer_spare"]
    with pytest.raises(DesignError, match=re.escape(
            "d.toml: stage 1 (sign): skid = true needs a stage with registers; this one is "
            "wiring only")):
        parse_design({"name": "s", "n": 4, "input_width": 4,
                      "stage": [{"kind": "sign", "skid": True}]}, "d.toml")


@pytest.mark.parametrize("name", ["hd16_p4", "fwht128_p2_memory", "pad_shift_argmax",
                                  "classifier_skid"])
def test_after_resets_every_whole_vector_out_is_the_reference(name):
    """Without the cycle model: cut the beats the sink took at each reset (output beat
    counting restarts there); every whole vector out must be the reference of an input
    vector, in increasing order."""
    d = DESIGNS[name]
    x = vectors_for(d, 14, 7)
    cycles = int(len(x) * d.interval / 0.35) + 3 * d.latency
    in_valid, out_ready = stall_patterns(7, cycles, 0.7, 0.5, long_stall=11)
    reset = np.zeros(cycles, bool)
    reset[[cycles // 5, cycles // 3 + d.interval // 3, cycles // 2 + 1]] = True
    seen = observe(d, x, in_valid, out_ready, reset)
    out, want = d.output, ref_design(d, x)
    segments, beats = [], []
    for t in range(cycles):
        if reset[t]:
            segments.append(beats)
            beats = []
        elif seen.out_valid[t] and out_ready[t]:
            beats.append(unpack(seen.out_payload[t], out.lanes, out.width, out.signed))
    segments.append(beats)
    vectors = [np.concatenate(s[k:k + out.beats]) for s in segments
               for k in range(0, len(s) - out.beats + 1, out.beats)]
    assert len(vectors) >= len(x) // 2
    k = 0
    for vector in vectors:
        while k < len(x) and not (want[k] == vector).all():
            k += 1
        assert k < len(x), "a vector out is no input vector's reference, or out of order"
        k += 1
