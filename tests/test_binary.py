"""xnor_popcount and argmax: design errors, golden models against brute-force
definitions, and the hardware against the cycle model under stalls and resets."""

import json
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from nomul.design import DesignError, parse_design
from nomul.golden import functional
from nomul.seeded import seeded_bits
from nomul.stages.xnor_popcount import Node, carry_tree, carry_tree_levels
from nomul.sim.amaranth_sim import check
from nomul.sim.patterns import stall_patterns
from reference import ref_design


def binary_design(n_bits, *stages, name="b"):
    """A design whose first stage makes ``n_bits`` bits out of small signed inputs."""
    return parse_design({"name": name, "n": n_bits, "input_width": 4,
                         "stage": [{"kind": "sign"}, *stages]})


def bits_input(n, count, seed):
    """Inputs whose signs are random bits (plus all-ones and all-zeros rows)."""
    x = np.random.default_rng(seed).integers(-8, 8, (count, n))
    return np.vstack([np.full(n, 7), np.full(n, -8), x])


def error(message, stage, n=16, tmp_path=None):
    with pytest.raises(DesignError, match="^" + re.escape(message) + "$"):
        parse_design({"name": "t", "n": n, "input_width": 4,
                      "stage": [{"kind": "sign"}, stage]}, source="d.toml", base=tmp_path)


# --- design errors ---------------------------------------------------------------------

def test_weights_errors(tmp_path):
    np.save(tmp_path / "w.npy", np.ones((3, 16), np.uint8))
    np.save(tmp_path / "wide.npy", np.ones((3, 15), np.uint8))
    np.save(tmp_path / "two.npy", np.full((3, 16), 2))
    np.save(tmp_path / "float.npy", np.ones((3, 16)))
    (tmp_path / "junk.npy").write_text("junk")
    base = {"kind": "xnor_popcount", "outputs": 3}
    error('d.toml: stage 2 (xnor_popcount): weights = "none.npy": '
          f'{tmp_path / "none.npy"}: no such weights file', {**base, "weights": "none.npy"},
          tmp_path=tmp_path)
    error('d.toml: stage 2 (xnor_popcount): weights = "wide.npy" has shape (3, 15): it must '
          'be outputs x N = (3, 16), one row of 0/1 per neuron over the 16 incoming bits',
          {**base, "weights": "wide.npy"}, tmp_path=tmp_path)
    error('d.toml: stage 2 (xnor_popcount): weights = "w.npy" has shape (3, 16): it must be '
          'outputs x N = (4, 16), one row of 0/1 per neuron over the 16 incoming bits',
          {**base, "outputs": 4, "weights": "w.npy"}, tmp_path=tmp_path)
    error('d.toml: stage 2 (xnor_popcount): weights = "two.npy": element [0, 0] = 2: weights '
          'must be 0 or 1 (1 stands for +1)', {**base, "weights": "two.npy"}, tmp_path=tmp_path)
    error('d.toml: stage 2 (xnor_popcount): weights = "float.npy" holds float64: weights must '
          'be integers 0 or 1 (1 stands for +1)', {**base, "weights": "float.npy"},
          tmp_path=tmp_path)
    error('d.toml: stage 2 (xnor_popcount): weights = "junk.npy": '
          f'{tmp_path / "junk.npy"}: not a .npy file (it does not start with the .npy magic '
          'string); a weights file is an array saved with numpy.save',
          {**base, "weights": "junk.npy"}, tmp_path=tmp_path)
    error("d.toml: stage 2 (xnor_popcount): needs exactly one of 'weights' (a .npy file of "
          "outputs x N zeros and ones, relative to the design file) and 'seed' (an integer "
          "from 0 to 2**64-1)", base)


def test_threshold_and_input_errors():
    base = {"kind": "xnor_popcount", "outputs": 3, "seed": 1}
    error('d.toml: stage 2 (xnor_popcount): thresholds has 2 entries: result = "threshold" '
          'needs a list of exactly 3 integers (one per output)',
          {**base, "result": "threshold", "thresholds": [1, 2]})
    error('d.toml: stage 2 (xnor_popcount): thresholds is missing: result = "threshold" '
          'needs a list of exactly 3 integers (one per output)', {**base, "result": "threshold"})
    for bad in (2.5, 2 ** 63, -2 ** 63 - 1, True):
        error(f'd.toml: stage 2 (xnor_popcount): thresholds[1] = {json.dumps(bad)}: each '
              'threshold must be an integer from -2**63 to 2**63-1 (0 or less: always 1; '
              'above 16: never)', {**base, "result": "threshold", "thresholds": [1, bad, 3]})
    error('d.toml: stage 2 (xnor_popcount): thresholds = [1, 2, 3]: thresholds apply only to '
          'result = "threshold"', {**base, "thresholds": [1, 2, 3]})
    error('d.toml: stage 2 (xnor_popcount): result = "sum": must be one of "popcount", "dot", '
          '"threshold"', {**base, "result": "sum"})
    # The carry tree counts 16 bits in 4 levels.
    error("d.toml: stage 2 (xnor_popcount): register = 5: must be an integer from 1 to 4 "
          "(the levels of the adder tree over 16 bits): a pipeline register after every "
          "that many levels", {**base, "register": 5})
    with pytest.raises(DesignError, match=re.escape(
            "d.toml: stage 1 (xnor_popcount): needs a vector of bits (from a sign stage or a "
            "threshold layer), but its input is 16 signed 4-bit integers")):
        parse_design({"name": "t", "n": 16, "input_width": 4, "stage": [base]}, "d.toml")
    with pytest.raises(DesignError, match=re.escape(
            "d.toml: stage 3 (fwht): needs a vector of signed integers, but its input is 3 "
            "unsigned 5-bit integers")):
        parse_design({"name": "t", "n": 16, "input_width": 4, "stage": [
            {"kind": "sign"}, base, {"kind": "fwht"}]}, "d.toml")


def test_argmax_errors():
    error('d.toml: stage 2 (argmax): needs a vector of integers, but its input is 16 bits',
          {"kind": "argmax"})
    with pytest.raises(DesignError, match=re.escape(
            "d.toml: stage 3 (argmax): absolute = true needs signed integers, but the input "
            "is 3 unsigned 5-bit integers")):
        parse_design({"name": "t", "n": 16, "input_width": 4, "stage": [
            {"kind": "sign"}, {"kind": "xnor_popcount", "outputs": 3, "seed": 1},
            {"kind": "argmax", "absolute": True}]}, "d.toml")
    with pytest.raises(DesignError, match=re.escape(
            'd.toml: stage 1 (argmax): absolute = "yes": must be true or false')):
        parse_design({"name": "t", "n": 16, "input_width": 4,
                      "stage": [{"kind": "argmax", "absolute": "yes"}]}, "d.toml")


def test_seeded_weights_and_manifest_parameters():
    design = binary_design(16, {"kind": "xnor_popcount", "outputs": 3, "seed": 9})
    stage = design.stages[1]
    bits = seeded_bits(9, 48).reshape(3, 16)
    assert stage.weight_matrix() == tuple(tuple(row) for row in bits.tolist())
    assert stage.params()["weights"] == [
        "".join(f"{int(''.join(map(str, row[::-1])), 2):04x}") for row in bits.tolist()]
    assert stage.output.describe() == "3 unsigned 5-bit integers"


# --- golden models against brute-force definitions ---------------------------------------

@settings(max_examples=120, deadline=None)
@given(data=st.data(), n_log=st.integers(1, 8), outputs=st.integers(1, 12),
       result=st.sampled_from(["popcount", "dot", "threshold"]), seed=st.integers(0, 2**64 - 1))
def test_xnor_popcount_golden(data, n_log, outputs, result, seed):
    n = 2 ** n_log
    stage = {"kind": "xnor_popcount", "outputs": outputs, "seed": seed, "result": result,
             "register": data.draw(st.integers(1, carry_tree_levels(n)))}
    if result == "threshold":
        stage["thresholds"] = data.draw(st.lists(st.integers(-2, n + 2), min_size=outputs,
                                                 max_size=outputs))
    design = binary_design(n, stage)
    x = bits_input(n, 20, seed % 1000)
    np.testing.assert_array_equal(functional.run(design, x), ref_design(design, x))


def _leaves(tree, level, index):
    """The leaves under node ``index`` of ``level``, gathered through its parts."""
    if level < 0:
        return [index]
    return [leaf for part in tree[level][index].parts for leaf in _leaves(tree, level - 1, part)]


@pytest.mark.parametrize("leaves", [*range(1, 70), 127, 128, 255, 256, 257, 784, 4096])
def test_carry_tree_counts_consecutive_blocks_with_a_carry_in_bit(leaves):
    tree = carry_tree(leaves)
    levels = len(tree)
    assert levels == carry_tree_levels(leaves) >= 1
    # As few levels as can count them: L levels count up to 2**(L+1) - 1 leaves.
    assert leaves <= 2 ** (levels + 1) - 1 and (levels == 1 or leaves > 2 ** levels - 1)
    assert tree[-1] == (Node(0, leaves, tree[-1][0].parts),)
    for level, nodes in enumerate(tree):
        assert [n.start for n in nodes] == sorted(n.start for n in nodes)
        for index, node in enumerate(nodes):
            assert _leaves(tree, level, index) == list(range(node.start, node.stop))
            assert node.stop - node.start < 2 ** (level + 2)        # fits level + 2 bits
            assert 1 <= len(node.parts) <= 3
            if len(node.parts) == 3 and level > 0:                  # the carry-in: one leaf
                last = tree[level - 1][node.parts[2]]
                assert last.stop - last.start == 1
        # Every leaf is under one node of each level.
        assert sorted(leaf for i in range(len(nodes))
                      for leaf in _leaves(tree, level, i)) == list(range(leaves))


@settings(max_examples=120, deadline=None)
@given(n_log=st.integers(1, 8), width=st.integers(2, 12), absolute=st.booleans(),
       seed=st.integers(0, 2**32))
def test_argmax_golden(n_log, width, absolute, seed):
    n = 2 ** n_log
    design = parse_design({"name": "a", "n": n, "input_width": width,
                           "stage": [{"kind": "argmax", "absolute": absolute}]})
    rng = np.random.default_rng(seed)
    lo, hi = -2 ** (width - 1), 2 ** (width - 1) - 1
    x = np.vstack([rng.integers(lo, hi + 1, (20, n)), rng.integers(-1, 2, (10, n)),
                   np.full((1, n), lo), np.full((1, n), hi), [[lo, hi] * (n // 2)],
                   [[hi, lo] * (n // 2)]])
    np.testing.assert_array_equal(functional.run(design, x), ref_design(design, x))


def test_argmax_ties_and_signs():
    design = parse_design({"name": "a", "n": 4, "input_width": 4,
                           "stage": [{"kind": "argmax", "absolute": True}]})
    # |-8| = 8 is the largest; among equal magnitudes the lowest index wins.
    got = functional.run(design, [[3, -8, 7, 0], [5, 5, -5, 1], [-5, 5, 5, 1], [0, 0, 0, 0]])
    assert got[:, 0].tolist() == [1 | 4, 0, 0 | 4, 0]   # index in bits 0-1, negative in bit 2


# --- hardware ----------------------------------------------------------------------------

HARDWARE = [
    ("popcount", 16, 5, 1, None),
    ("dot", 64, 7, 2, None),
    ("threshold", 32, 9, 3, [0, 1, 16, 17, 32, 33, -5, 40, 8]),
    ("popcount", 2, 1, 1, None),
]


@pytest.mark.parametrize("result, n, outputs, register, thresholds", HARDWARE)
def test_xnor_popcount_hardware(result, n, outputs, register, thresholds):
    stage = {"kind": "xnor_popcount", "outputs": outputs, "seed": n + outputs,
             "result": result, "register": min(register, carry_tree_levels(n))}
    if thresholds:
        stage["thresholds"] = thresholds
    after = [] if result == "threshold" else [{"kind": "argmax", "register": 1}]
    design = binary_design(n, stage, *after)
    x = bits_input(n, 80, n)
    in_valid, out_ready = stall_patterns(n, 300, 0.7, 0.5, long_stall=12)
    reset = np.zeros(300, bool)
    reset[150] = True
    report = check(design, x, in_valid, out_ready, reset)
    assert report.mismatch is None, report.mismatch
    assert report.vectors > 40


@pytest.mark.parametrize("hidden, register", [(23, 1), (7, 2), (3, 1)])
def test_two_layers_over_uneven_counts(hidden, register):
    """A second layer over a count of bits that is not a power of two (blocks cut short)."""
    design = binary_design(32, {"kind": "xnor_popcount", "outputs": hidden, "seed": 5,
                                "result": "threshold", "thresholds": [16] * hidden},
                           {"kind": "xnor_popcount", "outputs": 5, "seed": 6,
                            "register": register, "result": "dot"})
    x = bits_input(32, 80, hidden)
    np.testing.assert_array_equal(functional.run(design, x), ref_design(design, x))
    in_valid, out_ready = stall_patterns(32, 300, 0.7, 0.5, long_stall=12)
    report = check(design, x, in_valid, out_ready, np.zeros(300, bool))
    assert report.mismatch is None, report.mismatch
    assert report.vectors > 40


@pytest.mark.parametrize("absolute", [False, True])
@pytest.mark.parametrize("n, register", [(2, 1), (8, 2), (32, 1), (128, 4)])
def test_argmax_hardware(n, register, absolute):
    design = parse_design({"name": "a", "n": n, "input_width": 5, "stage": [
        {"kind": "argmax", "absolute": absolute, "register": register}]})
    rng = np.random.default_rng(n)
    x = np.vstack([rng.integers(-16, 16, (60, n)), rng.integers(-1, 2, (20, n)),
                   np.full((2, n), -16), np.full((2, n), 15)])
    in_valid, out_ready = stall_patterns(n + register, 300, 0.8, 0.6, long_stall=10)
    report = check(design, x, in_valid, out_ready)
    assert report.mismatch is None, report.mismatch
    assert report.vectors == len(x)
