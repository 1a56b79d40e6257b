"""The golden models against definitions written independently (tests/reference.py)."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.linalg import hadamard

from nomul.design import parse_design
from nomul.golden import cycle, functional
from reference import extreme_vectors, random_vectors, ref_design, to_signed


def fwht_design(n, input_width, overflow, width=None, register=1, signflip=None):
    stage = {"kind": "fwht", "overflow": overflow, "register": register}
    if width is not None:
        stage["width"] = width
    stages = ([{"kind": "signflip", "seed": signflip[0], "overflow": signflip[1]}]
              if signflip else []) + [stage]
    return parse_design({"name": "t", "n": n, "input_width": input_width, "stage": stages})


@pytest.mark.parametrize("n", [2**k for k in range(1, 13)])
@pytest.mark.parametrize("overflow", ["wrap", "grow"])
def test_fwht_equals_sylvester_product(n, overflow):
    # Past 2048 points a grown 8-bit transform exceeds Amaranth's 65535 bits per signal.
    width = 8 if n <= 1024 else 3
    design = fwht_design(n, width, overflow)
    rng = np.random.default_rng(n)
    x = np.vstack([extreme_vectors(n, width), random_vectors(rng, 10, n, width)])
    exact = x @ hadamard(n).T
    half = 2 ** (width - 1)
    want = exact if overflow == "grow" else (exact + half) % (2 * half) - half
    np.testing.assert_array_equal(functional.run(design, x), want)


def test_wrap_keeps_width_and_negation_of_most_negative():
    design = parse_design({"name": "t", "n": 2, "input_width": 4,
                           "stage": [{"kind": "signflip", "signs": [-1, -1]}]})
    np.testing.assert_array_equal(functional.run(design, [[-8, 7]]), [[-8, -7]])
    grown = parse_design({"name": "t", "n": 2, "input_width": 4,
                          "stage": [{"kind": "signflip", "signs": [-1, 1], "overflow": "grow"}]})
    np.testing.assert_array_equal(functional.run(grown, [[-8, 7]]), [[8, 7]])


def test_wrap_narrower_than_input_reads_input_mod_width():
    design = fwht_design(4, 8, "wrap", width=4)
    x = np.array([[100, -77, 3, 127]])
    want = [to_signed(int(v), 4) for v in hadamard(4) @ x[0]]
    np.testing.assert_array_equal(functional.run(design, x)[0], want)


def test_every_stage_against_reference():
    design = parse_design({"name": "t", "n": 16, "input_width": 6, "stage": [
        {"kind": "pad", "n": 32},
        {"kind": "signflip", "seed": 5, "overflow": "grow"},
        {"kind": "fwht", "overflow": "grow", "register": 2},
        {"kind": "shift", "bits": 3},
        {"kind": "signflip", "seed": 6},
        {"kind": "fwht", "width": 7},
        {"kind": "sign"}]})
    x = np.vstack([extreme_vectors(16, 6), random_vectors(np.random.default_rng(0), 50, 16, 6)])
    np.testing.assert_array_equal(functional.run(design, x), ref_design(design, x))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), log_n=st.integers(1, 9), input_width=st.integers(2, 32),
       overflow=st.sampled_from(["wrap", "grow"]), flip=st.sampled_from([None, "wrap", "grow"]))
def test_fwht_property(data, log_n, input_width, overflow, flip):
    n = 2 ** log_n
    width = data.draw(st.one_of(st.none(), st.integers(2, 40))) if overflow == "wrap" else None
    register = data.draw(st.integers(1, log_n))
    design = fwht_design(n, input_width, overflow, width, register,
                         (data.draw(st.integers(0, 2**64 - 1)), flip) if flip else None)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32)))
    x = np.vstack([extreme_vectors(n, input_width), random_vectors(rng, 3, n, input_width)])
    np.testing.assert_array_equal(functional.run(design, x), ref_design(design, x))
    out, taps = functional.run_with_taps(design, x)
    last = design.stages[-1]
    np.testing.assert_array_equal(taps[f"{last.instance}.{last.taps[-1].name}"], out)


def test_input_out_of_range_is_named():
    design = fwht_design(4, 8, "wrap")
    with pytest.raises(ValueError, match=r"^input element \[1, 2\] = 128 is outside the "
                                         r"signed 8-bit range -128\.\.127$"):
        functional.run(design, [[0, 0, 0, 0], [0, 0, 128, 0]])
    with pytest.raises(ValueError, match=r"^input vectors must have shape \(vectors, 4\) or "
                                         r"\(4,\), not \(2, 3\)$"):
        functional.run(design, np.zeros((2, 3), int))
    with pytest.raises(ValueError, match=r"^input vectors must hold integers, not float64$"):
        functional.run(design, np.zeros((2, 4)))


# --- the cycle model -----------------------------------------------------------------

def test_cycle_model_latency_and_throughput():
    design = fwht_design(16, 8, "grow", register=1, signflip=(3, "wrap"))
    x = random_vectors(np.random.default_rng(1), 20, 16, 8)
    trace = cycle.simulate(design, x, np.ones(40, bool), np.ones(40, bool))
    assert design.latency == 5
    np.testing.assert_array_equal(trace.accepted[:20], np.arange(20))
    np.testing.assert_array_equal(trace.delivered[5:25], np.arange(20))
    assert (trace.delivered[:5] == -1).all() and (trace.delivered[25:] == -1).all()
    tap = trace.taps["s2_fwht.level1"]   # third register of the design: cycle offset 3
    assert tap.index[3] == 0 and tap.index[22] == 19


@pytest.mark.parametrize("seed", range(5))
def test_cycle_model_keeps_order_under_stalls(seed):
    design = fwht_design(8, 8, "wrap", register=2, signflip=(1, "grow"))
    rng = np.random.default_rng(seed)
    x = random_vectors(rng, 60, 8, 8)
    in_valid, out_ready = rng.random(400) < 0.6, rng.random(400) < 0.4
    trace = cycle.simulate(design, x, in_valid, out_ready)
    delivered = trace.delivered[trace.delivered >= 0]
    np.testing.assert_array_equal(delivered, np.arange(len(delivered)))
    assert len(delivered) == 60
    # Nothing is taken while the sink stalls a full pipeline.
    assert not (trace.in_ready & trace.output.valid & ~out_ready
                & (trace.taps["s1_signflip.flipped"].valid)).any()


def test_cycle_model_reset_empties_pipeline():
    design = fwht_design(4, 8, "grow")
    x = random_vectors(np.random.default_rng(2), 10, 4, 8)
    reset = np.zeros(30, bool)
    reset[4] = True
    trace = cycle.simulate(design, x, np.ones(30, bool), np.ones(30, bool), reset)
    assert trace.accepted[4] == -1
    assert all(not tap.valid[5] for tap in trace.taps.values())
    delivered = trace.delivered[trace.delivered >= 0].tolist()
    assert delivered == [0, 1] + list(range(4, 10))   # 2 and 3 were in flight
