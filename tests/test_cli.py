import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nomul.cli import main
from reference import random_vectors, ref_design
from nomul.design import load_design

ROOT = Path(__file__).parent.parent
HD = ROOT / "examples/hd_block64.toml"
FWHT = ROOT / "examples/fwht16_wrap.toml"


def fails(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == f"nomul: error: {message}\n"


@pytest.mark.parametrize("command", ["info", "verilog", "golden", "sim", "synth", "build",
                                     "sweep", "run", "flash", "virtual-board"])
def test_help_says_what_and_gives_an_example(command, capsys):
    with pytest.raises(SystemExit) as exit:
        main([command, "--help"])
    assert exit.value.code == 0
    assert f"example: nomul {command} " in capsys.readouterr().out


def test_bad_arguments(capsys, tmp_path):
    fails(capsys, ["verilog", str(HD)],
          "the following arguments are required: -o/--output (see 'nomul verilog --help')")
    assert main(["frobnicate"]) == 2   # argparse's wording of the choices varies by Python
    err = capsys.readouterr().err
    assert err.startswith("nomul: error: argument COMMAND: invalid choice: 'frobnicate'")
    assert err.endswith("(see 'nomul --help')\n") and err.count("\n") == 1
    fails(capsys, ["sim", str(HD), "--in-duty", "0"],
          "argument --in-duty: must be a number from 0.01 to 1, not '0' "
          "(see 'nomul sim --help')")
    fails(capsys, ["info", str(tmp_path / "none.toml")], f"{tmp_path / 'none.toml'}: no such design file")


def test_bad_design_file(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(FWHT.read_text().replace("register = 2", "register = 9"))
    fails(capsys, ["verilog", str(bad), "-o", str(tmp_path)],
          f"{bad}: stage 1 (fwht): register = 9: must be an integer from 1 to 4 (the levels of "
          "the butterfly over 16 elements): a pipeline register after every that many levels")
    assert not list(tmp_path.glob("*.v"))


def test_errors_print_no_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nn = 3\ninput_width = 8\n[[stage]]\nkind = "sign"\n')
    result = subprocess.run([sys.executable, "-m", "nomul.cli", "verilog", str(bad), "-o",
                             str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == f"nomul: error: {bad}: n = 3: must be a power of two from 2 to 4096\n"


def test_golden_round_trip(tmp_path, capsys):
    x = random_vectors(np.random.default_rng(0), 25, 64, 8)
    np.save(tmp_path / "x.npy", x)
    assert main(["golden", str(HD), "--in", str(tmp_path / "x.npy"),
                 "--out", str(tmp_path / "y.npy")]) == 0
    assert "25 vectors of 64 bits" in capsys.readouterr().out
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), ref_design(load_design(HD), x))


def test_golden_single_vector_keeps_its_shape(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(16) - 8)
    assert main(["golden", str(FWHT), "--in", str(tmp_path / "x.npy"),
                 "--out", str(tmp_path / "y.npy")]) == 0
    assert np.load(tmp_path / "y.npy").shape == (16,)


def test_golden_bad_input(tmp_path, capsys):
    out = str(tmp_path / "y.npy")
    np.save(tmp_path / "x.npy", np.full((2, 16), 300))
    fails(capsys, ["golden", str(FWHT), "--in", str(tmp_path / "x.npy"), "--out", out],
          f"{tmp_path / 'x.npy'}: input element [0, 0] = 300 is outside the signed 8-bit "
          "range -128..127")
    assert not (tmp_path / "y.npy").exists()


def test_sim_reports_zero_mismatches(capsys):
    assert main(["sim", str(FWHT), "--vectors", "100", "--seed", "4"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("fwht16_wrap: 100 of 100 vectors out, 3 registers compared on each of ")
    assert ", 0 mismatches, " in out


def test_verilog_writes_both_files(tmp_path, capsys):
    assert main(["verilog", str(FWHT), "-o", str(tmp_path / "o")]) == 0
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["fwht16_wrap.json", "fwht16_wrap.v"]


def test_info_shows_every_stage(capsys, tmp_path):
    assert main(["info", str(FWHT)]) == 0
    assert capsys.readouterr().out == (
        "fwht16_wrap: 16 signed 8-bit integers in, 16 signed 12-bit integers out, latency 2 "
        "cycles, one vector per cycle\n"
        "  s1_fwht            16 signed 8-bit integers -> 16 signed 12-bit integers, latency 2\n"
        "                     overflow=wrap, width=12, register=2\n")
    design = tmp_path / "d.toml"
    design.write_text('name = "d"\nn = 4\ninput_width = 6\n'
                      '[[stage]]\nkind = "signflip"\nsigns = [1, -1, 1, -1]\noverflow = "grow"\n'
                      '[[stage]]\nkind = "pad"\nn = 8\n[[stage]]\nkind = "shift"\nbits = 2\n'
                      '[[stage]]\nkind = "argmax"\nabsolute = true\n')
    assert main(["info", str(design)]) == 0
    assert capsys.readouterr().out == (
        "d: 4 signed 6-bit integers in, 1 x 4-bit (index+negative) out, latency 4 cycles, one "
        "vector per cycle\n"
        "  s1_signflip        4 signed 6-bit integers -> 4 signed 7-bit integers, latency 1\n"
        "                     signs=[4 values], overflow=grow\n"
        "  s2_pad             4 signed 7-bit integers -> 8 signed 7-bit integers, latency 0\n"
        "                     n=8\n"
        "  s3_shift           8 signed 7-bit integers -> 8 signed 5-bit integers, latency 0\n"
        "                     bits=2\n"
        "  s4_argmax          8 signed 5-bit integers -> 1 x 4-bit (index+negative), latency 3\n"
        "                     absolute=True, register=1\n")
