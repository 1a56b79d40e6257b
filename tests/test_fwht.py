"""The FWHT hardware against the Sylvester matrix product, bit for bit, at the stated
latency, and against the cycle model with stalls."""

import numpy as np
import pytest
from scipy.linalg import hadamard

from nomul.design import parse_design
from nomul.packing import unpack
from nomul.sim.amaranth_sim import check, observe
from nomul.sim.patterns import stall_patterns
from reference import extreme_vectors, random_vectors


def fwht_design(n, overflow, width=None, register=1, input_width=8):
    stage = {"kind": "fwht", "overflow": overflow, "register": register}
    if width:
        stage["width"] = width
    return parse_design({"name": "t", "n": n, "input_width": input_width, "stage": [stage]})


@pytest.mark.parametrize("n", [2, 4, 8, 16, 32, 64, 128, 256])
@pytest.mark.parametrize("overflow, width", [("wrap", None), ("wrap", 10), ("grow", None)])
def test_outputs_equal_sylvester_product_at_latency(n, overflow, width):
    design = fwht_design(n, overflow, width, register=2 if n >= 64 else 1)
    x = np.vstack([extreme_vectors(n, 8), random_vectors(np.random.default_rng(n), 6, n, 8)])
    cycles = len(x) + design.latency + 2
    seen = observe(design, x, np.ones(cycles, bool), np.ones(cycles, bool))
    # One vector per cycle in; each result exactly `latency` cycles later.
    assert seen.in_ready.all()
    expected_valid = np.zeros(cycles, bool)
    expected_valid[design.latency:design.latency + len(x)] = True
    np.testing.assert_array_equal(seen.out_valid, expected_valid)
    out_width = design.output.width
    got = np.array([unpack(seen.out_payload[design.latency + k], n, out_width, True)
                    for k in range(len(x))])
    exact = x @ hadamard(n).T
    half = 2 ** (out_width - 1)
    want = exact if overflow == "grow" else (exact + half) % (2 * half) - half
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("register", [1, 2, 3, 4])
@pytest.mark.parametrize("in_duty, out_duty", [(1.0, 0.5), (0.5, 1.0), (0.3, 0.3), (0.9, 0.15)])
def test_every_register_every_cycle_under_stalls(register, in_duty, out_duty):
    design = fwht_design(16, "wrap", 9, register)
    seed = register * 100 + int(in_duty * 10) + int(out_duty * 100)
    x = np.vstack([extreme_vectors(16, 8), random_vectors(np.random.default_rng(seed), 40, 16, 8)])
    in_valid, out_ready = stall_patterns(seed, 300, in_duty, out_duty, long_stall=12)
    report = check(design, x, in_valid, out_ready)
    assert report.mismatch is None, f"seed {seed}: {report.mismatch}"
    assert report.vectors > 20


def relay_design(n, relay, register=1, parallelism=None, flow="stall"):
    stage = {"kind": "fwht", "overflow": "wrap", "width": 9, "register": register,
             "relay": relay}
    return parse_design({"name": "r", "n": n, "input_width": 8, "flow": flow,
                         "parallelism": parallelism or n, "stage": [stage]})


@pytest.mark.parametrize("n, relay, register, parallelism, flow", [
    (16, 2, 1, None, "stall"), (16, 4, 2, None, "stall"), (32, 8, 3, None, "credit"),
    (32, 2, 1, 8, "stall"), (16, 2, 2, 4, "credit")])
def test_relay_registers_every_cycle_under_stalls(n, relay, register, parallelism, flow):
    design = relay_design(n, relay, register, parallelism, flow)
    stage, plain = design.stages[0], relay_design(n, None, register, parallelism, flow)
    relays = [level for level in range(stage.lane_levels) if 1 << level >= relay]
    # One register more per relayed level, just before it, and nothing else changes.
    assert [t.name for t in stage.taps if t.name.startswith("relay")] == [
        f"relay{level}" for level in relays]
    assert design.latency == plain.latency + len(relays)
    seed = n + relay + register
    x = np.vstack([extreme_vectors(n, 8), random_vectors(np.random.default_rng(seed), 40, n, 8)])
    in_valid, out_ready = stall_patterns(seed, 700, 0.8, 0.6, long_stall=15)
    report = check(design, x, in_valid, out_ready)
    assert report.mismatch is None, report.mismatch
    assert report.vectors == len(x)


def test_relay_outputs_equal_sylvester_product():
    design = relay_design(64, 16, 2)
    x = np.vstack([extreme_vectors(64, 8), random_vectors(np.random.default_rng(5), 6, 64, 8)])
    cycles = len(x) + design.latency + 2
    seen = observe(design, x, np.ones(cycles, bool), np.ones(cycles, bool))
    got = np.array([unpack(seen.out_payload[design.latency + k], 64, 9, True)
                    for k in range(len(x))])
    want = (x @ hadamard(64).T + 256) % 512 - 256
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("n, parallelism, relay, message", [
    (16, None, 3, r"relay = 3: must be a power of two from 2 to 8: an extra register"),
    (16, None, 16, r"relay = 16: must be a power of two from 2 to 8"),
    (16, 4, 4, r"relay = 4: must be 2: .* \(within beats of 4 elements\)"),
    (2, None, 2, r"relay = 2: no level of this butterfly pairs elements 2 or more apart "
                 r"within a beat of 2"),
])
def test_relay_errors_name_what_is_allowed(n, parallelism, relay, message):
    with pytest.raises(ValueError, match=message):
        relay_design(n, relay, parallelism=parallelism)
