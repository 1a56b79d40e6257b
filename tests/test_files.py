"""Files users hand nomul and files nomul writes: every bad input refused in one line,
nothing written through a link, over a user's file or half-way (``nomul/files.py``)."""

import io
import json
import os
import re
import signal
from pathlib import Path

import numpy as np
import pytest

from nomul.cli import main
from nomul.design import load_design
from nomul.files import (InputFileError, OutputFileError, check_output_file, load_npy,
                         write_files)

ROOT = Path(__file__).parent.parent
FWHT = ROOT / "examples/fwht16_wrap.toml"       # n = 16, input_width 8, name fwht16_wrap


def fails(capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err == f"nomul: error: {message}\n"
    return captured


def npy_with_header(path, shape, descr="<i8", data=b""):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False,
                                                  "shape": shape})
    path.write_bytes(buffer.getvalue() + data)
    return path


# --- inputs ----------------------------------------------------------------------------

@pytest.fixture
def bad_arrays(tmp_path):
    """One file per class of bad .npy input, with the message each gets."""
    empty = tmp_path / "empty.npy"
    empty.write_bytes(b"")
    npz = tmp_path / "a.npz"
    np.savez(npz, a=np.zeros(3))
    text = tmp_path / "text.npy"
    text.write_text("1 2 3\n")
    huge = npy_with_header(tmp_path / "huge.npy", (10 ** 12, 16), data=bytes(64))
    damaged = tmp_path / "damaged.npy"
    damaged.write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': '<i8',\n")
    objects = tmp_path / "objects.npy"
    npy_with_header(objects, (2,), descr="|O", data=bytes(16))    # never pickled here
    what = "an input array"
    return {
        empty: f"{empty}: is empty; {what} is a .npy array saved with numpy.save",
        npz: f"{npz}: is a .npz archive (a zip of arrays); {what} is one .npy array saved "
             "with numpy.save",
        text: f"{text}: not a .npy file (it does not start with the .npy magic string); "
              f"{what} is an array saved with numpy.save",
        huge: f"{huge}: its header claims shape (1000000000000, 16) of int64 (116.4 TiB) but "
              "the file holds 64 bytes of data",
        objects: f"{objects}: holds Python objects (object); {what} holds plain integers",
        Path("/dev/zero"): "/dev/zero: is not a regular file (a device, pipe or socket); "
                           f"give {what}",
        tmp_path: f"{tmp_path}: is a folder, not {what}",
        tmp_path / "none.npy": f"{tmp_path / 'none.npy'}: no such input array",
    } | {damaged: None}


def test_every_bad_array_is_refused_in_one_line(bad_arrays, tmp_path, capsys):
    for path, message in bad_arrays.items():
        with pytest.raises(InputFileError) as error:
            load_npy(path, "input array")
        if message is None:
            assert str(error.value).startswith(f"{path}: a damaged .npy header (")
        else:
            assert str(error.value) == message
        assert "\n" not in str(error.value)
        # The same through the CLI, for inputs and for weights.
        assert main(["golden", str(FWHT), "--in", str(path), "--out",
                     str(tmp_path / "y.npy")]) == 2
        assert capsys.readouterr().err.count("\n") == 1
    assert not (tmp_path / "y.npy").exists()


def test_weights_files_are_checked_like_inputs(bad_arrays, tmp_path):
    from nomul.design import DesignError, parse_design
    for path, message in bad_arrays.items():
        if message is None or not path.is_absolute():
            continue
        with pytest.raises(DesignError) as error:
            parse_design({"name": "t", "n": 16, "input_width": 4, "stage": [
                {"kind": "sign"},
                {"kind": "xnor_popcount", "outputs": 2, "weights": str(path)}]}, "d.toml")
        expected = message.replace("an input array", "a weights file").replace(
            "such input array", "such weights file")
        assert str(error.value) == f'd.toml: stage 2 (xnor_popcount): weights = ' \
                                   f'{json.dumps(str(path))}: {expected}'


def test_input_arrays_of_the_wrong_shape_or_dtype_are_refused_before_reading(tmp_path,
                                                                             capsys):
    out = str(tmp_path / "y.npy")
    wrong = npy_with_header(tmp_path / "wrong.npy", (4, 15), data=bytes(8 * 60))
    fails(capsys, ["golden", str(FWHT), "--in", str(wrong), "--out", out],
          f"{wrong}: holds shape (4, 15); input vectors must have shape (vectors, 16) or (16,)")
    floats = tmp_path / "floats.npy"
    np.save(floats, np.zeros((2, 16)))
    fails(capsys, ["golden", str(FWHT), "--in", str(floats), "--out", out],
          f"{floats}: holds float64; input vectors must be integers")
    many = npy_with_header(tmp_path / "many.npy", (1 << 24, 16), descr="|i1",
                           data=bytes(16 << 24))
    fails(capsys, ["golden", str(FWHT), "--in", str(many), "--out", out],
          f"{many}: holds 16777216 vectors; this design takes at most 4194304 at a time "
          "(split the file)")


def test_no_value_changes_silently_whatever_its_dtype(tmp_path, capsys):
    """A uint64 beyond int64 used to wrap to a small negative number and pass."""
    out = str(tmp_path / "y.npy")
    for dtype, value in ((np.uint64, 2 ** 63 + 1), (np.uint64, 2 ** 64 - 1),
                         (np.int64, -2 ** 63), (np.uint8, 128)):
        x = np.zeros((1, 16), dtype)
        x[0, 3] = value
        np.save(tmp_path / "x.npy", x)
        fails(capsys, ["golden", str(FWHT), "--in", str(tmp_path / "x.npy"), "--out", out],
              f"{tmp_path / 'x.npy'}: input element [0, 3] = {value} is outside the signed "
              "8-bit range -128..127")
    for dtype in (np.int8, np.uint8, np.int16, np.uint64):
        x = np.arange(16, dtype=dtype).reshape(1, 16)
        np.save(tmp_path / "x.npy", x)
        assert main(["golden", str(FWHT), "--in", str(tmp_path / "x.npy"), "--out", out,
                     "--force"]) == 0
        want = np.zeros(16, np.int64)
        want[0] = sum(range(16))        # H_16 @ (0..15): row 0 sums, the others pair off
        assert np.load(out)[0, 0] == want[0]


def test_design_files_are_checked_before_reading(tmp_path, capsys):
    fails(capsys, ["info", "/dev/zero"],
          "/dev/zero: is not a regular file (a device, pipe or socket); give a design file")
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * (1 << 20) + "\n")
    fails(capsys, ["info", str(big)],
          f"{big}: is 1048579 bytes; a design file may be at most 1048576 bytes")
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'name = "caf\xe9"\n')
    fails(capsys, ["info", str(latin)],
          f"{latin}: not UTF-8 text (byte 11); a design file is a UTF-8 TOML file")
    fails(capsys, ["info", str(tmp_path)], f"{tmp_path}: is a folder, not a design file")


def test_a_design_that_loads_works_in_every_command(tmp_path, capsys):
    """Thresholds far outside 0..N used to pass info and verilog, then crash golden."""
    design = tmp_path / "t.toml"
    design.write_text('name = "t"\nn = 8\ninput_width = 4\n[[stage]]\nkind = "sign"\n'
                      '[[stage]]\nkind = "xnor_popcount"\noutputs = 3\nseed = 1\n'
                      'result = "threshold"\nthresholds = [-9223372036854775808, 4, '
                      '9223372036854775807]\n')
    np.save(tmp_path / "x.npy", np.array([[1, -2, 3, -4, 5, -6, 7, -8]]))
    assert main(["info", str(design)]) == 0
    assert main(["verilog", str(design), "-o", str(tmp_path / "v")]) == 0
    assert main(["golden", str(design), "--in", str(tmp_path / "x.npy"),
                 "--out", str(tmp_path / "y.npy")]) == 0
    assert np.load(tmp_path / "y.npy")[0, 0] == 1 and np.load(tmp_path / "y.npy")[0, 2] == 0
    assert main(["sim", str(design), "--simulator", "amaranth", "--vectors", "20"]) == 0
    huge = design.read_text().replace("9223372036854775807", "99999999999999999999")
    design.write_text(huge)
    capsys.readouterr()
    fails(capsys, ["info", str(design)],
          f"{design}: stage 2 (xnor_popcount): thresholds[2] = 99999999999999999999: each "
          "threshold must be an integer from -2**63 to 2**63-1 (0 or less: always 1; above "
          "8: never)")


# --- numeric options -------------------------------------------------------------------

@pytest.mark.parametrize("argv, message", [
    (["sim", str(FWHT), "--vectors", "1000000000000"],
     "--vectors 1000000000000: must be from 1 to 4161790 for this design at these duty "
     "ratios (the cycle-by-cycle trace is held in memory; run more seeds for more)"),
    (["sim", str(FWHT), "--vectors", "0"],
     "--vectors 0: must be from 1 to 4161790 for this design at these duty ratios (the "
     "cycle-by-cycle trace is held in memory; run more seeds for more)"),
    (["sim", str(FWHT), "--seed", "-1"], "--seed -1: must be an integer from 0 to 2**64-1"),
    (["synth", str(FWHT), "--freq", "inf"],
     "--freq inf: must be a number of MHz above 0 and at most 1000"),
    (["synth", str(FWHT), "--freq", "nan"],
     "--freq nan: must be a number of MHz above 0 and at most 1000"),
    (["synth", str(FWHT), "--seed", "4294967296"],
     "--seed 4294967296: must be an integer from 0 to 2**31-1"),
    (["build", str(FWHT), "--image", "selftest", "--vectors", "1000000000000"],
     "--vectors 1000000000000: must be from 1 to 1048576"),
    (["sweep", "--jobs", "100000"], "--jobs 100000: must be from 1 to 64"),
])
def test_numeric_options_are_limited_before_any_work(argv, message, capsys):
    fails(capsys, argv, message)


# --- outputs ---------------------------------------------------------------------------

def test_verilog_never_writes_through_a_link_or_over_a_users_file(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    (out / "fwht16_wrap.v").symlink_to(target)
    fails(capsys, ["verilog", str(FWHT), "-o", str(out)],
          f"{out / 'fwht16_wrap.v'}: is a symbolic link; nomul does not write through links: "
          "remove it or choose another path")
    fails(capsys, ["verilog", str(FWHT), "-o", str(out), "--force"],
          f"{out / 'fwht16_wrap.v'}: is a symbolic link; nomul does not write through links: "
          "remove it or choose another path")
    assert target.read_text() == "keep me" and not (out / "fwht16_wrap.json").exists()
    (out / "fwht16_wrap.v").unlink()
    (out / "fwht16_wrap.json").write_bytes(b"\xff\xfe not nomul's, not UTF-8")
    fails(capsys, ["verilog", str(FWHT), "-o", str(out)],
          f"{out / 'fwht16_wrap.json'}: exists and was not written by nomul; use --force to "
          "replace it")
    assert not (out / "fwht16_wrap.v").exists()
    assert main(["verilog", str(FWHT), "-o", str(out), "--force"]) == 0
    manifest = json.loads((out / "fwht16_wrap.json").read_text())
    assert manifest["name"] == "fwht16_wrap"
    # nomul's own files are replaced without --force, and left alone when unchanged.
    mtime = (out / "fwht16_wrap.v").stat().st_mtime_ns
    assert main(["verilog", str(FWHT), "-o", str(out)]) == 0
    assert (out / "fwht16_wrap.v").stat().st_mtime_ns == mtime
    assert sorted(p.name for p in out.iterdir()) == ["fwht16_wrap.json", "fwht16_wrap.v"]
    capsys.readouterr()
    fails(capsys, ["verilog", str(FWHT), "-o", str(target)],
          f"-o {target}: exists and is not a folder")


def test_golden_writes_exactly_the_path_named(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((2, 16), np.int64))
    x = str(tmp_path / "x.npy")
    fails(capsys, ["golden", str(FWHT), "--in", x, "--out", str(tmp_path)],
          f"--out {tmp_path}: is a folder; give a file name")
    assert not (tmp_path.parent / f"{tmp_path.name}.npy").exists()
    assert main(["golden", str(FWHT), "--in", x, "--out", str(tmp_path / "y")]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {tmp_path / 'y'}: 2 vectors")
    assert np.load(tmp_path / "y").shape == (2, 16) and not (tmp_path / "y.npy").exists()
    fails(capsys, ["golden", str(FWHT), "--in", x, "--out", str(tmp_path / "y")],
          f"--out {tmp_path / 'y'}: exists and was not written by nomul; use --force to "
          "replace it")
    fails(capsys, ["golden", str(FWHT), "--in", x, "--out", str(tmp_path / "no" / "y.npy")],
          f"--out {tmp_path / 'no' / 'y.npy'}: the folder {tmp_path / 'no'} does not exist")


def test_sim_checks_its_paths_before_simulating(tmp_path, capsys):
    fails(capsys, ["sim", str(FWHT), "--waves", str(tmp_path / "no" / "w.vcd")],
          f"--waves {tmp_path / 'no' / 'w.vcd'}: the folder {tmp_path / 'no'} does not exist")
    (tmp_path / "w.vcd").write_text("mine")
    fails(capsys, ["sim", str(FWHT), "--waves", str(tmp_path / "w.vcd")],
          f"--waves {tmp_path / 'w.vcd'}: exists and was not written by nomul; use --force "
          "to replace it")
    fails(capsys, ["sim", str(FWHT), "--work", str(tmp_path / "w.vcd")],
          f"--work {tmp_path / 'w.vcd'}: exists and is not a folder")
    fails(capsys, ["synth", str(FWHT), "-o", str(tmp_path / "w.vcd")],
          f"-o {tmp_path / 'w.vcd'}: exists and is not a folder")
    assert (tmp_path / "w.vcd").read_text() == "mine"
    assert main(["sim", str(FWHT), "--simulator", "amaranth", "--vectors", "5",
                 "--waves", str(tmp_path / "w.vcd"), "--force"]) == 0
    assert (tmp_path / "w.vcd").read_text().startswith("$")
    assert [p.name for p in tmp_path.iterdir()] == ["w.vcd"]      # no temporary left


def test_files_land_together_or_not_at_all(tmp_path, monkeypatch):
    a, b = tmp_path / "a.v", tmp_path / "b.json"
    write_files({a: "// Generated by nomul 1\nold", b: '{\n  "nomul_version": 1}'})
    real_replace, calls = os.replace, []

    def interrupted_replace(source, target):
        calls.append(target)
        if len(calls) == 1:
            # Ctrl-C between the two renames, delivered to this thread before raise_signal
            # returns (os.kill may hand it to another thread, e.g. xdist's, later).
            signal.raise_signal(signal.SIGINT)
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", interrupted_replace)
    # Python's own Ctrl-C handler, even when the tests were started with SIGINT ignored
    # (a shell's background job inherits that, and Python then keeps it).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            write_files({a: "// Generated by nomul 2\nnew", b: '{\n  "nomul_version": 2}'})
    finally:
        signal.signal(signal.SIGINT, previous)
    assert a.read_text().endswith("new") and b.read_text().endswith("2}")
    monkeypatch.setattr(os, "replace", real_replace)
    # A failure while staging leaves the old pair and no temporary behind.
    with pytest.raises(OutputFileError):
        write_files({a: "// Generated by nomul 3\n", tmp_path / "x" / "c": "c"})
    assert a.read_text().endswith("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.v", "b.json"]


def test_check_output_file_rules(tmp_path):
    mine = tmp_path / "mine.txt"
    mine.write_text("user data")
    with pytest.raises(OutputFileError, match=r"exists and was not written by nomul"):
        check_output_file(mine)
    check_output_file(mine, force=True)
    check_output_file(tmp_path / "new.v")


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.toml")), ids=lambda p: p.stem)
def test_zero_vectors_are_a_valid_input(path, tmp_path):
    design = load_design(path)
    np.save(tmp_path / "x.npy", np.zeros((0, design.n), np.int16))
    assert main(["golden", str(path), "--in", str(tmp_path / "x.npy"),
                 "--out", str(tmp_path / "y.npy")]) == 0
    assert np.load(tmp_path / "y.npy").shape == (0, design.output.elements)


# --- found in review: folders nomul fills, odd names, odd files ------------------------

def test_work_folders_are_nomuls_own(tmp_path, capsys):
    """A folder of the user's files is not filled (or overwritten) without --force; a
    link planted in nomul's own folder is not written through."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    for argv in (["sim", str(FWHT), "--work", str(mine)],
                 ["synth", str(FWHT), "-o", str(mine)],
                 ["build", str(FWHT), "-o", str(mine)],
                 ["sweep", "--n", "16", "-o", str(mine)]):
        option = "--work" if argv[0] == "sim" else "-o"
        fails(capsys, argv, f"{option} {mine}: holds files nomul did not put there; choose a "
                            "new or empty folder, or use --force")
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    work = tmp_path / "work"
    assert main(["sim", str(FWHT), "--work", str(work), "--vectors", "5"]) == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (work / "run.json").unlink()
    (work / "run.json").symlink_to(victim)
    capsys.readouterr()
    assert main(["sim", str(FWHT), "--work", str(work), "--vectors", "5"]) == 2
    assert capsys.readouterr().err.endswith(
        f"nomul: error: {work / 'run.json'}: is a symbolic link; nomul does not write through "
        "links: remove it or choose another path\n")
    assert victim.read_text() == "keep"


def test_a_design_without_registers_keeps_its_clock_ports(tmp_path):
    design = tmp_path / "wires.toml"
    design.write_text('name = "wires"\nn = 16\ninput_width = 4\n[[stage]]\nkind = "sign"\n')
    assert main(["verilog", str(design), "-o", str(tmp_path)]) == 0
    manifest = json.loads((tmp_path / "wires.json").read_text())
    verilog = (tmp_path / "wires.v").read_text()
    for port in manifest["ports"]:
        assert f" {port['name']};" in verilog or f" {port['name']}," in verilog, port
    assert main(["sim", str(design), "--vectors", "20", "--work", str(tmp_path / "w")]) == 0


@pytest.mark.parametrize("argv, message", [
    (["golden", str(FWHT), "--in", "x.npy", "--out", ""],
     "--out: give a file name, not an empty string"),
    (["sim", str(FWHT), "--waves", ""], "--waves: give a file name, not an empty string"),
    (["verilog", str(FWHT), "-o", ""], "-o: give a folder name, not an empty string"),
    (["sim", str(FWHT), "--in-duty", "1e-9"],
     "argument --in-duty: must be a number from 0.01 to 1, not '1e-9' "
     "(see 'nomul sim --help')"),
])
def test_empty_paths_and_tiny_duty_ratios(argv, message, capsys):
    fails(capsys, argv, message)


def test_names_the_system_cannot_take_are_one_line_errors(tmp_path, capsys):
    long = tmp_path / ("x" * 300)
    fails(capsys, ["verilog", str(FWHT), "-o", str(long)], f"-o {long}: File name too long")
    odd = tmp_path / "two\nlines.toml"
    fails(capsys, ["info", str(odd)], f"{tmp_path}/two\\nlines.toml: no such design file")
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    fails(capsys, ["info", str(deep)],
          f"{deep}: not a design file: its arrays or tables nest too deeply")


def test_arrays_of_other_kinds_of_numbers_are_refused(tmp_path, capsys):
    out = str(tmp_path / "y.npy")
    np.save(tmp_path / "t.npy", np.zeros((2, 16), "m8"))
    fails(capsys, ["golden", str(FWHT), "--in", str(tmp_path / "t.npy"), "--out", out],
          f"{tmp_path / 't.npy'}: holds timedelta64; input vectors must be integers")
    np.save(tmp_path / "w.npy", np.ones((2, 16), np.uint8))
    with open(tmp_path / "w.npy", "ab") as file:
        file.write(b"trailing junk")
    from nomul.design import DesignError, parse_design
    with pytest.raises(DesignError, match=re.escape(
            f'weights = "w.npy": {tmp_path / "w.npy"}: holds 13 bytes after its array; a '
            'weights file is one array saved with numpy.save')):
        parse_design({"name": "t", "n": 16, "input_width": 4, "stage": [
            {"kind": "sign"}, {"kind": "xnor_popcount", "outputs": 2, "weights": "w.npy"}]},
            "d.toml", tmp_path)


def test_golden_runs_in_chunks_with_errors_named_in_the_whole_array(tmp_path, capsys):
    design = tmp_path / "wide.toml"
    design.write_text('name = "wide"\nn = 2\ninput_width = 4\n[[stage]]\nkind = "sign"\n'
                      '[[stage]]\nkind = "xnor_popcount"\noutputs = 4096\nseed = 1\n')
    x = np.zeros((9000, 2), np.int8)
    np.save(tmp_path / "x.npy", x)
    assert main(["golden", str(design), "--in", str(tmp_path / "x.npy"),
                 "--out", str(tmp_path / "y.npy")]) == 0
    y = np.load(tmp_path / "y.npy")
    assert y.shape == (9000, 4096) and (y == y[0]).all()
    x[8765, 1] = 9
    np.save(tmp_path / "x.npy", x)
    fails(capsys, ["golden", str(design), "--in", str(tmp_path / "x.npy"),
                   "--out", str(tmp_path / "z.npy")],
          f"{tmp_path / 'x.npy'}: input element [8765, 1] = 9 is outside the signed 4-bit "
          "range -8..7")
