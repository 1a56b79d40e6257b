"""The generated Verilog under cocotb: every tap on every cycle against the cycle model,
with Icarus (every example, random designs) and Verilator; and the checker can fail."""

from pathlib import Path

import numpy as np
import pytest

from nomul.design import load_design, parse_design
from nomul.golden import functional
from nomul.sim.cocotb_runner import check
from nomul.sim.patterns import stall_patterns
from nomul.verilog import write
from reference import extreme_vectors, random_vectors

EXAMPLES = sorted(Path(__file__).parent.parent.glob("examples/*.toml"))


def stimulus(design, seed, count=60, cycles=400, in_duty=0.7, out_duty=0.6, resets=()):
    x = np.vstack([extreme_vectors(design.n, design.input_width),
                   random_vectors(np.random.default_rng(seed), count, design.n,
                                  design.input_width)])
    in_valid, out_ready = stall_patterns(seed, cycles, in_duty, out_duty, long_stall=20)
    reset = np.zeros(cycles, bool)
    reset[list(resets)] = True
    return x, in_valid, out_ready, reset


# Examples that take hundreds of cycles per vector run under one stall pattern only.
SLOW = {path for path in EXAMPLES if load_design(path).interval > 64}


@pytest.mark.parametrize("path, in_duty, out_duty", [
    (path, *duties) for path in EXAMPLES for duties in [(1.0, 1.0), (0.7, 0.3), (0.3, 0.9)]
    if path not in SLOW or duties == (0.7, 0.3)], ids=lambda v: getattr(v, "stem", str(v)))
def test_examples_with_icarus(path, in_duty, out_duty, tmp_path):
    design = load_design(path)
    # Streaming examples take `interval` cycles per vector: fewer vectors, more cycles.
    count = 60 if design.interval == 1 else max(3, 1200 // design.interval)
    cycles = int(count * design.interval / (in_duty * out_duty) * 1.2) + 4 * design.latency + 400
    x, in_valid, out_ready, reset = stimulus(design, 3, count, cycles, in_duty, out_duty,
                                             resets=[150])
    report = check(design, x, in_valid, out_ready, reset, "icarus", tmp_path)
    assert report.mismatch is None, report.mismatch
    assert report.vectors > count // 2 and report.waves is None


RANDOM_DESIGNS = [
    {"n": 2, "input_width": 2, "stage": [{"kind": "fwht", "overflow": "grow"}]},
    {"n": 8, "input_width": 5, "stage": [{"kind": "signflip", "seed": 11, "overflow": "grow"},
                                         {"kind": "fwht", "width": 4, "register": 2}]},
    {"n": 32, "input_width": 12, "stage": [{"kind": "shift", "bits": 5},
                                           {"kind": "fwht", "overflow": "grow", "register": 3},
                                           {"kind": "sign"}]},
    {"n": 128, "input_width": 4, "stage": [{"kind": "signflip", "seed": 2**64 - 1},
                                           {"kind": "fwht", "width": 11, "register": 7}]},
    {"n": 32, "input_width": 5, "parallelism": 2, "stage": [
        {"kind": "pad", "n": 128}, {"kind": "signflip", "seed": 5, "overflow": "grow"},
        {"kind": "fwht", "width": 9, "skid": True}, {"kind": "shift", "bits": 2},
        {"kind": "argmax", "absolute": True, "register": 2}]},
    {"n": 16, "input_width": 3, "parallelism": 1, "stage": [
        {"kind": "fwht", "overflow": "grow", "register": 2}, {"kind": "sign"},
        {"kind": "xnor_popcount", "outputs": 3, "seed": 8, "result": "threshold",
         "thresholds": [3, 8, 17], "skid": True}]},
    # The credit form over beats: a pad after registers, a folded reduction, an output
    # buffer of several beats, one without registers before it.
    {"n": 8, "input_width": 4, "parallelism": 2, "flow": "credit", "stage": [
        {"kind": "signflip", "seed": 4}, {"kind": "fwht", "register": 1},
        {"kind": "pad", "n": 32}, {"kind": "fwht", "overflow": "grow"}, {"kind": "sign"}]},
    {"n": 16, "input_width": 3, "parallelism": 4, "flow": "credit", "stage": [
        {"kind": "sign"}, {"kind": "xnor_popcount", "outputs": 2, "seed": 3}]},
    {"n": 8, "input_width": 3, "parallelism": 1, "flow": "credit", "stage": [{"kind": "sign"}]},
]


@pytest.mark.parametrize("index", range(len(RANDOM_DESIGNS)))
def test_random_designs_with_icarus(index, tmp_path):
    design = parse_design({"name": f"r{index}", **RANDOM_DESIGNS[index]})
    x, in_valid, out_ready, reset = stimulus(design, index, count=20,
                                             cycles=max(400, 50 * design.interval),
                                             resets=[100, 101])
    report = check(design, x, in_valid, out_ready, reset, "icarus", tmp_path)
    assert report.mismatch is None, f"{RANDOM_DESIGNS[index]}: {report.mismatch}"


def test_hd_block_with_verilator(tmp_path):
    design = load_design(Path(__file__).parent.parent / "examples/hd_block64.toml")
    x, in_valid, out_ready, reset = stimulus(design, 8, resets=[200])
    report = check(design, x, in_valid, out_ready, reset, "verilator", tmp_path)
    assert report.mismatch is None, report.mismatch
    assert report.vectors > 30


def test_streaming_design_with_verilator(tmp_path):
    """Beats, delay-feedback butterflies in block RAM, folded stages and skid buffers."""
    design = parse_design({"name": "stream", "n": 64, "input_width": 6, "parallelism": 2,
                           "stage": [{"kind": "signflip", "seed": 3, "skid": True},
                                     {"kind": "fwht", "overflow": "grow", "skid": True},
                                     {"kind": "sign"},
                                     {"kind": "xnor_popcount", "outputs": 6, "seed": 4},
                                     {"kind": "argmax", "skid": True}]})
    x, in_valid, out_ready, reset = stimulus(design, 9, count=12, cycles=2400,
                                             resets=[700, 701])
    report = check(design, x, in_valid, out_ready, reset, "verilator", tmp_path)
    assert report.mismatch is None, report.mismatch
    assert report.vectors >= 8


def test_a_wrong_golden_model_fails_the_comparison(tmp_path, monkeypatch):
    design = load_design(Path(__file__).parent.parent / "examples/fwht16_wrap.toml")
    right = functional.STEPS["fwht"]

    def wrong(stage, x):   # one element of the last level off by one
        y, taps = right(stage, x)
        y = y.copy()
        y[:, 5] += 1
        return y, {**taps, "level3": y}

    monkeypatch.setitem(functional.STEPS, "fwht", wrong)
    x, in_valid, out_ready, reset = stimulus(design, 1)
    report = check(design, x, in_valid, out_ready, reset, "icarus", tmp_path)
    assert report.mismatch is not None
    assert "s1_fwht.level3 element 5 is " in report.mismatch
    assert report.mismatch.startswith("cycle ")
    assert report.waves and Path(report.waves).stat().st_size > 0
    assert (tmp_path / "fwht16_wrap.gtkw").read_text().count("s1_fwht.level3") == 2


def test_a_wrong_design_fails_the_comparison(tmp_path):
    """One subtractor of the generated Verilog turned into an adder."""
    design = load_design(Path(__file__).parent.parent / "examples/hd_block64.toml")
    verilog, _ = write(design, tmp_path / "broken")
    lines = verilog.read_text().splitlines(keepends=True)
    module = next(i for i, line in enumerate(lines) if line.startswith("module \\hd_block64.s2_fwht"))
    at = next(i for i in range(module, len(lines)) if ") - $signed(" in lines[i])
    lines[at] = lines[at].replace(") - $signed(", ") + $signed(")
    verilog.write_text("".join(lines))
    x, in_valid, out_ready, reset = stimulus(design, 2)
    report = check(design, x, in_valid, out_ready, reset, "icarus", tmp_path / "run",
                   verilog=verilog)
    assert report.mismatch is not None and "s2_fwht.level0 element " in report.mismatch
    assert report.waves is not None


def test_cli_names_the_mismatch_and_keeps_the_waves(tmp_path, capsys, monkeypatch):
    from nomul.cli import main
    right = functional.STEPS["signflip"]

    def wrong(stage, x):   # the model of the sign flip forgets one sign
        y, taps = right(stage, x)
        y = y.copy()
        y[:, 3] = x[:, 3]
        return y, {"flipped": y}

    monkeypatch.setitem(functional.STEPS, "signflip", wrong)
    design = Path(__file__).parent.parent / "examples/hd_block64.toml"
    assert main(["sim", str(design), "--vectors", "20", "--work", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "1 mismatch" in out
    assert "first mismatch: cycle " in out and "s1_signflip.flipped element 3 is " in out
    assert f"waveform: {tmp_path}" in out
    assert f"GTKWave save file (ports and taps): {tmp_path / 'hd_block64.gtkw'}" in out
