"""Every generated Verilog file passes verilator --lint-only -Wall (with the waivers named
in nomul/sim/lint.py) and compiles with iverilog -g2005 and -g2012."""

from pathlib import Path

import pytest

from nomul.design import load_design, parse_design
from nomul.sim.lint import WAIVERS, lint
from nomul.verilog import write
from test_cocotb import RANDOM_DESIGNS

EXAMPLES = sorted(Path(__file__).parent.parent.glob("examples/*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_lint_clean(path, tmp_path):
    verilog, _ = write(load_design(path), tmp_path)
    assert lint(verilog) == []


@pytest.mark.parametrize("index", range(len(RANDOM_DESIGNS)))
def test_random_designs_lint_clean(index, tmp_path):
    verilog, _ = write(parse_design({"name": f"r{index}", **RANDOM_DESIGNS[index]}), tmp_path)
    assert lint(verilog) == []


def test_lint_finds_real_problems(tmp_path):
    bad = tmp_path / "bad.v"
    bad.write_text("module bad(input [3:0] a, output [2:0] y);\n  assign y = a;\nendmodule\n")
    problems = lint(bad)
    assert any("WIDTHTRUNC" in p for p in problems), problems
    broken = tmp_path / "broken.v"
    broken.write_text("module broken(input a, output y)\n  assign y = a;\nendmodule\n")
    assert any(p.startswith("iverilog -g2005") for p in lint(broken))


def test_every_waiver_is_needed(tmp_path):
    """Without any one waiver, some example fails the lint with exactly that rule: no
    waiver hides nothing, and none hides more than its rule."""
    examples = [write(load_design(path), tmp_path / path.stem)[0]
                for path in EXAMPLES
                if path.stem in ("binary_classifier", "hd2_pad", "hd_classifier64_stream")]
    for waiver in WAIVERS:
        rule = waiver[0]
        others = [w for w in WAIVERS if w is not waiver]
        problems = [p for verilog in examples for p in lint(verilog, others)]
        assert problems, f"the waiver of {rule} waives nothing in these examples"
        assert all(f"%Warning-{rule}:" in p or p.startswith("%Warning: ") or
                   p.startswith("%Error: Exiting") for p in problems), (rule, problems[:3])
        assert any(f"%Warning-{rule}:" in p for p in problems), (rule, problems[:3])
