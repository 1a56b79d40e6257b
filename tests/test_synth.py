"""Synthesis, place and route of small designs for each FPGA family, with the reports
checked against the floor the design needs."""

import json
from pathlib import Path

import pytest

from nomul.boards import synth
from nomul.cli import main
from nomul.design import parse_design
from nomul.flow import buffer_banks
from nomul.resources import floor


def small_design(n=8, register=1, sign=False, signs=None, flow="stall"):
    flip = {"kind": "signflip", "overflow": "grow"}
    flip.update({"signs": signs} if signs else {"seed": 3})
    stages = [flip, {"kind": "fwht", "overflow": "grow", "register": register}]
    return parse_design({"name": "small", "n": n, "input_width": 4, "flow": flow,
                         "stage": stages + ([{"kind": "sign"}] if sign else [])})


@pytest.mark.parametrize("target", ["up5k", "ecp5-25k"])
@pytest.mark.parametrize("sign, flow", [(False, "stall"), (True, "stall"), (False, "credit")])
def test_small_design_report(target, sign, flow, tmp_path):
    design = small_design(sign=sign, flow=flow)
    result = synth.synthesize(design, target, work=tmp_path, progress=lambda line: None)
    cells = result.cells
    flip_flops, adder_bits, _ = floor(design)
    assert cells.flip_flops == flip_flops == result.floor_flip_flops
    # The credit form's output buffer (8 x 7-bit beats, 56 bits) is in block RAM.
    assert cells.dsp == 0 and (cells.bram > 0) == (flow == "credit")
    assert (result.floor_memory_bits > 0) == (flow == "credit")
    assert cells.fmax_mhz and cells.fmax_mhz > 10
    assert cells.logic_cells > 0 and cells.carry_cells > 0
    # Every adder bit but an adder's lowest sits in a carry chain.
    assert cells.carry_bits >= adder_bits - 8 * (1 + 3) * 2
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["cells"]["flip_flops"] == cells.flip_flops
    assert (report["harness"] is None) == (target != "up5k")
    if target == "ecp5-25k":
        # Placed and routed with the carry outputs nothing reads disconnected.
        netlist = json.loads((tmp_path / "design.json").read_text())
        couts = [cell["connections"]["COUT"] for module in netlist["modules"].values()
                 for cell in module["cells"].values() if cell["type"] == "CCU2C"]
        assert ["x"] in couts and len(couts) == cells.carry_cells


def test_popcount_tree_flip_flops_are_the_floor(tmp_path):
    # The carry-in tree's registers: each count as wide as its block needs, and the bits
    # carried up to later adders shared by the neurons that read them alike.
    design = parse_design({"name": "pop", "n": 32, "input_width": 4, "stage": [
        {"kind": "sign"}, {"kind": "xnor_popcount", "outputs": 3, "seed": 2}]})
    result = synth.synthesize(design, "ecp5-25k", work=tmp_path, progress=lambda line: None)
    assert result.cells.flip_flops == floor(design)[0] == result.floor_flip_flops


def test_wrap_fwht_flip_flops_are_the_floor(tmp_path):
    # Levels 0 and 1 hold 5 and 6 significant bits of 7: the bits above copy the sign, are
    # wired rather than added, and yosys merges their registers as the floor does (it
    # kept 16 more flip-flops when the adders were 7 bits wide at every level).
    design = parse_design({"name": "wrap", "n": 16, "input_width": 4, "stage": [
        {"kind": "fwht", "overflow": "wrap", "width": 7}]})
    result = synth.synthesize(design, "ecp5-25k", work=tmp_path, progress=lambda line: None)
    assert result.cells.flip_flops == floor(design)[0] == result.floor_flip_flops == 404


def test_each_bank_of_a_wide_output_buffer_keeps_its_own_flip_flops(tmp_path):
    # Two banks' addresses and flags hold equal values; yosys must not merge them (each
    # bank's next values depend on its own), or one read enable would reach both.
    design = parse_design({"name": "wide", "n": 32, "input_width": 8, "flow": "credit",
                           "stage": [{"kind": "signflip", "seed": 5},
                                     {"kind": "fwht", "overflow": "grow", "register": 2}]})
    assert buffer_banks(design) == 2
    result = synth.synthesize(design, "ecp5-25k", work=tmp_path, progress=lambda line: None)
    assert result.cells.flip_flops == floor(design)[0] == result.floor_flip_flops
    netlist = json.loads((tmp_path / "design.json").read_text())
    enables = {str(cell["connections"]["CEB"]) for module in netlist["modules"].values()
               for cell in module["cells"].values() if cell["type"] == "DP16KD"}
    assert len(enables) == 2, "one read enable per bank"


def test_unread_carry_outs_are_disconnected(tmp_path):
    def ccu2c(cin, cout):
        return {"type": "CCU2C", "port_directions": {"CIN": "input", "COUT": "output"},
                "connections": {"CIN": [cin], "COUT": [cout]}}
    module = {"ports": {"q": {"direction": "output", "bits": [11]}},
              "cells": {"a": ccu2c("0", 10), "b": ccu2c(10, 11), "c": ccu2c("0", 12),
                        "ff": {"type": "TRELLIS_FF", "port_directions": {"DI": "input"},
                               "connections": {"DI": [13]}}}}
    path = tmp_path / "n.json"
    path.write_text(json.dumps({"modules": {"top": module}}))
    assert synth.drop_unread_carry_outs(path) == 1
    cells = json.loads(path.read_text())["modules"]["top"]["cells"]
    # Read by the next cell's carry in and by an output port: kept; read by nothing: cut.
    assert [cells[name]["connections"]["COUT"] for name in "abc"] == [[10], [11], ["x"]]


def test_floor_counts_only_what_reaches_the_output():
    # A grow sign flip of 4-bit inputs: 5 significant bits where negated, 4 elsewhere.
    for signs in ([-1] * 8, [1, -1] * 4, None):
        design = small_design(signs=signs)
        negated = sum(1 for s in design.stages[0].signs if s < 0)
        flipped = 8 * 4 + negated
        total = floor(design)[0]
        # Followed by sign: the last level keeps only its sign bit (8 bits, not 8 x 8).
        assert floor(small_design(sign=True, signs=signs))[0] == total - 8 * 8 + 8
        # A register every 3 levels: only the last level is registered.
        only_last = floor(small_design(register=3, signs=signs))[0]
        assert only_last == flipped + 8 * 8 + 2
        assert total > only_last
    # All negated: 5 significant bits, then levels of 6, 7 and 8 bits; 1 + 3 valid bits.
    assert floor(small_design(signs=[-1] * 8))[0] == 8 * 5 + 8 * (6 + 7 + 8) + 4
    # Half negated: level 0 adds a 4-bit and a 5-bit value (6 bits), and so on.
    assert floor(small_design(signs=[1, -1] * 4))[0] == 8 * 4 + 4 + 8 * (6 + 7 + 8) + 4


def test_floor_merges_the_repeats_of_padding_exactly():
    # 4 elements padded to 8: levels 0 and 1 hold 4 values of 5 and 6 bits (the padded
    # half stays zero); level 2 adds zeros, so out[i + 4] = out[i]: 4 registers of 6 bits.
    padded = parse_design({"name": "p", "n": 4, "input_width": 4, "stage": [
        {"kind": "pad", "n": 8}, {"kind": "fwht", "overflow": "grow"}]})
    assert floor(padded)[0] == 4 * 5 + 4 * 6 + 4 * 6 + 3
    # The same values once more behind a sign flip: -a and a are not merged.
    flipped = parse_design({"name": "p", "n": 4, "input_width": 4, "stage": [
        {"kind": "pad", "n": 8}, {"kind": "fwht", "overflow": "grow"},
        {"kind": "signflip", "signs": [1, 1, 1, 1, -1, -1, -1, -1], "overflow": "grow"}]})
    assert floor(flipped)[0] == floor(padded)[0] + 4 * 6 + 4 * 7 + 1


def test_floor_of_padding_and_wide_wrap():
    # Zero padding: the padded half is constant; a + 0 is a wire, not an adder.
    padded = parse_design({"name": "p", "n": 4, "input_width": 4, "stage": [
        {"kind": "pad", "n": 8}, {"kind": "fwht", "overflow": "grow", "register": 3}]})
    flip_flops, adder_bits, _ = floor(padded)
    assert adder_bits < 8 * (5 + 6 + 7)
    # A wrap width wider than the values grow adds only sign copies.
    wide = parse_design({"name": "w", "n": 4, "input_width": 4, "stage": [
        {"kind": "fwht", "width": 20, "register": 2}]})
    assert floor(wide)[0] == 4 * 6 + 1


def test_harness_is_subtracted_from_counts_not_from_fmax():
    # nextpnr reports a whole-number Fmax (80 MHz) as a JSON integer: it stays the design's.
    total = synth.Cells(1000, 900, 600, 600, 700, 0, 0, 80)
    harness = synth.Cells(300, 250, 0, 0, 200, 0, 0, 127.05)
    cells = synth.without_harness(total, harness)
    assert (cells.logic_cells, cells.luts, cells.carry_cells, cells.flip_flops) == (
        700, 650, 600, 500)
    assert cells.fmax_mhz == 80


def test_cli_prints_a_table(tmp_path, capsys):
    design_file = tmp_path / "small.toml"
    design_file.write_text('name = "small"\nn = 4\ninput_width = 4\n'
                           '[[stage]]\nkind = "fwht"\noverflow = "grow"\n')
    assert main(["synth", str(design_file), "--target", "ecp5-25k", "-o", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "flip-flops" in out and "Fmax (MHz)" in out and "DSP" in out
    assert "ecp5-25k, speed grade 6," in out
    # The fastest grade times the same placement faster.
    assert main(["synth", str(design_file), "--target", "ecp5-25k", "--speed", "8",
                 "-o", str(tmp_path / "fast")]) == 0
    assert "speed grade 8" in capsys.readouterr().out
    slow, fast = (json.loads((tmp_path / name / "report.json").read_text())
                  for name in ("o", "fast"))
    assert (slow["speed"], fast["speed"]) == (6, 8)
    assert fast["cells"]["fmax_mhz"] > slow["cells"]["fmax_mhz"]


def test_cli_errors(capsys):
    design = str(Path(__file__).parent.parent / "examples/hd_block64.toml")
    assert main(["synth", design, "--target", "virtex"]) == 2
    assert "invalid choice: 'virtex'" in capsys.readouterr().err
    assert main(["synth", design, "--freq", "-5"]) == 2
    assert capsys.readouterr().err == ("nomul: error: --freq -5: must be a number of MHz "
                                       "above 0 and at most 1000\n")
    assert main(["synth", design, "--target", "ecp5-85k", "--speed", "5"]) == 2
    assert capsys.readouterr().err == ("nomul: error: --speed 5: the ecp5-85k's speed grades "
                                       "are 6, 7, 8\n")
    assert main(["synth", design, "--speed", "6"]) == 2
    assert capsys.readouterr().err == ("nomul: error: --speed 6: the up5k has no speed grades "
                                       "(only ECP5 targets do)\n")


def test_tool_failure_is_one_line_with_the_log(tmp_path, monkeypatch):
    monkeypatch.setattr(synth, "tool", lambda name: "false")
    with pytest.raises(synth.ToolError, match=r"^yosys synth_ice40 \(design\) failed: exit "
                                              r"status 1 \(log: .*design_yosys\.log\)$"):
        synth.synthesize(small_design(), "up5k", work=tmp_path, progress=lambda line: None)
    # On ECP5 a failed run is retried with ABC instead of ABC9 before giving up.
    lines = []
    with pytest.raises(synth.ToolError, match=r"^yosys synth_ecp5 with abc \(design\) failed: "
                                              r"exit status 1 \(log: .*design_yosys_abc\.log\)$"):
        synth.synthesize(small_design(), "ecp5-25k", work=tmp_path, progress=lines.append)
    assert "yosys's ABC9 failed; retrying with ABC for the LUT mapping" in lines


def test_sweep_writes_csv_and_plot(tmp_path, capsys):
    assert main(["sweep", "--n", "2,4", "--width", "6", "--register", "1,2",
                 "--target", "ecp5-25k", "--jobs", "2", "-o", str(tmp_path)]) == 0
    rows = (tmp_path / "sweep.csv").read_text().splitlines()
    assert rows[0].startswith("n,input_width,overflow,width,register,target,status,")
    # n=2 has one level, so register 2 applies to n=4 only: 3 points.
    assert len(rows) == 1 + 3 and all(",ok," in row for row in rows[1:])
    assert (tmp_path / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    assert "3/3" in capsys.readouterr().err


def test_sweep_errors(capsys):
    assert main(["sweep", "--target", "spartan"]) == 2
    assert capsys.readouterr().err == ("nomul: error: --target spartan: must be among up5k, "
                                       "hx8k, ecp5-25k, ecp5-85k\n")
    assert main(["sweep", "--n", "12"]) == 2
    assert capsys.readouterr().err == ("nomul: error: --n 12: each must be a power of two "
                                       "from 2 to 4096\n")
    for option, value, rule in (("--n", "-16", "a power of two from 2 to 4096"),
                                ("--width", "0", "an integer from 2 to 62"),
                                ("--register", "-1", "an integer from 1 to 12"),
                                ("--input-width", "40", "an integer from 2 to 32")):
        assert main(["sweep", option, value]) == 2
        assert capsys.readouterr().err == f"nomul: error: {option} {value}: each must be {rule}\n"
    assert main(["sweep", "--n", "a,b"]) == 2


def test_too_few_block_rams_is_named(tmp_path):
    log = tmp_path / "nextpnr.log"
    log.write_text("Info: Device utilisation:\nInfo: \t ICESTORM_LC:  3000/  5280  56%\n"
                   "Info: \t ICESTORM_RAM:    34/    30   113%\nERROR: Unable to place cell "
                   "'x_RAM', no BELs remaining to implement cell type 'ICESTORM_RAM'\n")
    assert synth.explain_failure(log, synth.TARGETS["up5k"]) == (
        "the design does not fit: it needs 34 block RAMs and the up5k has 30")
