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
