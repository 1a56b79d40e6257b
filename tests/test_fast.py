"""The compiled lane (nomul sim --simulator fast): Verilator with a C++ driver, every tap
compared with the cycle model on every cycle, in chunks."""

from pathlib import Path

import numpy as np
import pytest

from nomul.cli import main
from nomul.design import load_design
from nomul.golden import functional
from nomul.sim import fast
from nomul.verilog import write

EXAMPLES = Path(__file__).parent.parent / "examples"
# Vectors soaked per example: 100,000 where one vector is one beat; streaming designs
# (many beats per vector) as many as the Python cycle model gets through in ~20 s.
SOAK = {"hd_classifier64_stream": 6_000, "hd2_1024_up5k": 100}


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.stem)
def test_every_example_soaks_with_random_stalls(path, tmp_path):
    design = load_design(path)
    vectors = SOAK.get(design.name, 100_000)
    report = fast.run(design, fast.random_chunks(design, vectors, 5, 0.7, 0.6), tmp_path)
    assert report.mismatch is None
    assert report.vectors == vectors
    assert report.registers == sum(len(s.taps) for s in design.stages) + 1


def test_the_record_layout_holds_every_tap():
    design = load_design(EXAMPLES / "hd_block64.toml")
    plan = fast.layout(design)
    names = [name for name, *_ in plan.checks]
    assert names[-1] == "o" and len(names) == len(set(names))
    assert names[:-1] == [f"{s.instance}.{t.name}" for s in design.stages for t in s.taps]
    assert plan.record_words == plan.flag_words + sum(c[4] for c in plan.checks)


def test_a_wrong_golden_model_fails_naming_register_cycle_and_element(tmp_path, monkeypatch):
    design = load_design(EXAMPLES / "fwht16_wrap.toml")
    right = functional.STEPS["fwht"]

    def wrong(stage, x):   # one element of the last level off by one, in vector 700 only
        y, taps = right(stage, x)
        y = y.copy()
        if len(y) > 700:
            y[700, 5] += 1
        return y, {**taps, "level3": y}

    monkeypatch.setitem(functional.STEPS, "fwht", wrong)
    report = fast.run(design, fast.random_chunks(design, 2000, 1, 0.8, 0.8), tmp_path)
    assert report.mismatch is not None
    assert report.mismatch.startswith("cycle ")
    assert "s1_fwht.level3 element 5 is " in report.mismatch
    assert "(vector 700;" in report.mismatch
    assert report.waves and Path(report.waves).stat().st_size > 0
    assert (tmp_path / "fwht16_wrap.gtkw").read_text().count("tap") >= 2


def test_a_mismatch_in_a_later_chunk_is_placed_and_replayed(tmp_path, monkeypatch):
    design = load_design(EXAMPLES / "fwht16_wrap.toml")
    right = functional.STEPS["fwht"]
    chunks = list(fast.random_chunks(design, 90, 4, 0.8, 0.8, per_chunk=30))

    def wrong(stage, x):   # wrong only for the third chunk's vector 7
        y, taps = right(stage, x)
        if len(x) == 30 and np.array_equal(x, chunks[2][0]):
            y = y.copy()
            y[7, 2] += 1
        return y, {**taps, "level3": y}

    monkeypatch.setitem(functional.STEPS, "fwht", wrong)
    report = fast.run(design, chunks, tmp_path)
    before = len(chunks[0][1]) + len(chunks[1][1])
    at = int(report.mismatch.split(":")[0].split()[1])
    assert report.chunks == 3 and before <= at < before + len(chunks[2][1])
    assert "s1_fwht.level3 element 2 is " in report.mismatch and "(vector 7;" in report.mismatch
    assert report.cycles == at + 1
    assert report.vectors >= 60          # the first two chunks' vectors came out right
    assert Path(report.waves).stat().st_size > 0


def test_a_subtractor_turned_into_an_adder_fails(tmp_path):
    design = load_design(EXAMPLES / "hd_block64.toml")
    verilog, _ = write(design, tmp_path / "broken")
    lines = verilog.read_text().splitlines(keepends=True)
    module = next(i for i, line in enumerate(lines)
                  if line.startswith("module \\hd_block64.s2_fwht"))
    at = next(i for i in range(module, len(lines)) if ") - $signed(" in lines[i])
    lines[at] = lines[at].replace(") - $signed(", ") + $signed(")
    verilog.write_text("".join(lines))
    report = fast.run(design, fast.random_chunks(design, 500, 2, 0.7, 0.7),
                      tmp_path / "run", verilog=verilog, waves=False)
    assert report.mismatch is not None and "s2_fwht.level0 element " in report.mismatch


def test_the_cli_runs_the_fast_lane(tmp_path, capsys):
    path = str(EXAMPLES / "fwht16_wrap.toml")
    assert main(["sim", path, "--simulator", "fast", "--vectors", "3000",
                 "--work", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "3000 of 3000 vectors out, 3 registers compared on each of " in out
    assert "0 mismatches" in out and "(fast)" in out
    assert main(["sim", path, "--simulator", "fast", "--waves", str(tmp_path / "w.vcd")]) == 2
    assert "--waves: the fast simulator writes a waveform" in capsys.readouterr().err


def test_chunks_are_reproducible_and_independent():
    design = load_design(EXAMPLES / "fwht16_wrap.toml")
    first = list(fast.random_chunks(design, 10, 3, 0.5, 0.5, per_chunk=4))
    again = list(fast.random_chunks(design, 10, 3, 0.5, 0.5, per_chunk=4))
    assert [len(c[0]) for c in first] == [4, 4, 2]
    for a, b in zip(first, again):
        assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(first[0][0], first[1][0])
