"""`nomul prove`: k-induction proofs (SymbiYosys, Boolector) that the generated Verilog
equals the specification of nomul/formal/spec.py for every input, valid/ready pattern and
reset; and that a wrong Verilog fails with a counterexample from reset."""

import re

import pytest

from nomul.cli import main
from nomul.design import load_design, parse_design
from nomul.formal.prove import prove
from nomul.verilog import generate

# Every stage kind in its parallel and streaming forms, n <= 8: wrap and grow, register
# spacings, skid buffers, odd argmax widths, and a design without registers.
DESIGNS = {
    "signflip_fwht_wrap": {"n": 8, "input_width": 4, "stage": [
        {"kind": "signflip", "seed": 1},
        {"kind": "fwht", "overflow": "wrap", "width": 6, "register": 1}]},
    "signflip_fwht_grow": {"n": 8, "input_width": 4, "stage": [
        {"kind": "signflip", "seed": 3, "overflow": "grow"},
        {"kind": "fwht", "overflow": "grow", "register": 2}]},
    "fwht_skid_shift": {"n": 8, "input_width": 5, "stage": [
        {"kind": "fwht", "overflow": "wrap", "width": 5, "register": 3, "skid": True},
        {"kind": "shift", "bits": 2}]},
    "binary_net": {"n": 4, "input_width": 4, "stage": [
        {"kind": "pad", "n": 8},
        {"kind": "fwht", "overflow": "wrap", "width": 6},
        {"kind": "sign"},
        {"kind": "xnor_popcount", "outputs": 4, "seed": 5, "result": "threshold",
         "thresholds": [3, 5, 0, 9]},
        {"kind": "xnor_popcount", "outputs": 3, "seed": 6, "result": "dot", "register": 2},
        {"kind": "argmax"}]},
    "popcount_skid_argmax": {"n": 8, "input_width": 3, "stage": [
        {"kind": "sign"},
        {"kind": "xnor_popcount", "outputs": 5, "seed": 9, "skid": True},
        {"kind": "argmax"}]},
    "argmax_absolute": {"n": 8, "input_width": 4, "stage": [
        {"kind": "argmax", "absolute": True}]},
    "combinational": {"n": 4, "input_width": 4, "stage": [
        {"kind": "shift", "bits": 1}, {"kind": "sign"}]},
    # Streaming: a beat-ROM sign flip, lane levels and delay-feedback levels, folds, pad
    # beats.
    "stream_signflip_fwht_wrap": {"n": 8, "input_width": 4, "parallelism": 2, "stage": [
        {"kind": "signflip", "seed": 3},
        {"kind": "fwht", "overflow": "wrap", "width": 6}]},
    "stream_fwht_grow_skid": {"n": 4, "input_width": 3, "parallelism": 1, "stage": [
        {"kind": "fwht", "overflow": "grow", "skid": True}]},
    "stream_binary_net": {"n": 8, "input_width": 3, "parallelism": 4, "stage": [
        {"kind": "sign"},
        {"kind": "xnor_popcount", "outputs": 3, "seed": 9, "result": "dot", "register": 1},
        {"kind": "argmax", "skid": True}]},
    "stream_pad_threshold": {"n": 4, "input_width": 4, "parallelism": 2, "stage": [
        {"kind": "pad", "n": 8},
        {"kind": "sign"},
        {"kind": "xnor_popcount", "outputs": 2, "seed": 1, "result": "threshold",
         "thresholds": [3, 5]}]},
    "stream_argmax_absolute": {"n": 8, "input_width": 4, "parallelism": 2, "stage": [
        {"kind": "argmax", "absolute": True}]},
    "stream_signflip_grow": {"n": 8, "input_width": 4, "parallelism": 1, "stage": [
        {"kind": "signflip", "seed": 3, "overflow": "grow"}]},   # interval 8 > latency
    "stream_without_registers": {"n": 2, "input_width": 4, "parallelism": 1, "stage": [
        {"kind": "pad", "n": 4}, {"kind": "sign"}]},
}


def design(name):
    return parse_design({"name": name, **DESIGNS[name]})


@pytest.mark.parametrize("name", DESIGNS)
def test_generated_verilog_is_proven(name, tmp_path):
    d = design(name)
    result = prove(d, generate(d)[0], tmp_path, progress=lambda line: None)
    assert result.status == "proven", (result.prop, result.step)


def _fwht_module(text, d):
    start = text.index(f"module \\{d.name}.s2_fwht")
    return start, text.index("endmodule", start)


def subtractor_to_adder(text, d):
    """The first subtractor of the FWHT's butterflies made an adder."""
    start, end = _fwht_module(text, d)
    found = re.compile(r"(= \$signed\([^)]*\)) - (\$signed)").search(text, start, end)
    assert found
    return text[:found.start()] + found.group(1) + " + " + found.group(2) + text[found.end():]


def valid_one_cycle_late(text, d):
    """The valid bit of the FWHT's level1 register through one more flip-flop."""
    found = re.compile(r"( +)level1_valid <= (\S+) ;").search(text)
    assert found
    text = (text[:found.start()] + f"{found.group(1)}level1_late <= {found.group(2)} ;\n"
            f"  always @(posedge clk)\n{found.group(1)}level1_valid <= level1_late;"
            + text[found.end():])
    return text.replace("reg level1_valid = 1'h0;",
                        "reg level1_valid = 1'h0;\n  reg level1_late = 1'h0;", 1)


def never_ready(text, d):
    """The first stage never advances, so the design takes nothing in: every value
    property holds vacuously, and only the timing task's ``ready`` catches it."""
    found = re.compile(r"assign advance = [^;]*;").search(text)
    assert found
    return text[:found.start()] + "assign advance = 1'h0;" + text[found.end():]


def spare_bit_flipped(text, d):
    """The skid buffer's spare register takes its value with bit 0 flipped: wrong only
    after a stall (the spare first holds a vector a cycle after the output stalls)."""
    found = re.compile(r"( +)buffer_spare <= (\S+) ;").search(text)
    assert found
    return (text[:found.start()] + f"{found.group(1)}buffer_spare <= {found.group(2)} ^ 1;"
            + text[found.end():])


def delay_difference_to_sum(text, d):
    """The difference a delay-feedback level keeps for later (level 2, lane 0) made a
    sum."""
    old = "level2_delay_1[5:0] - level1[5:0]"
    assert old in text
    return text.replace(old, "level2_delay_1[5:0] + level1[5:0]", 1)


def no_drain_without_input(text, d):
    """Delay-feedback level 2 shifts only when a beat comes in, not at the start of a
    block: its kept differences wait for the next vector instead of leaving."""
    old = "level1_valid | level2_block_start"
    assert old in text
    return text.replace(old, "level1_valid | 1'h0")


@pytest.mark.parametrize("name, mutate, prop, step", [
    ("stream_signflip_fwht_wrap", delay_difference_to_sum, "tap_s2_fwht_level2_delay_0", 9),
    ("stream_signflip_fwht_wrap", no_drain_without_input, "drained", None),
    ("signflip_fwht_wrap", subtractor_to_adder, "tap_s2_fwht_level0", 3),
    ("signflip_fwht_wrap", valid_one_cycle_late, "count", 4),
    ("signflip_fwht_wrap", never_ready, "ready", 10),
    ("fwht_skid_shift", spare_bit_flipped, "tap_s1_fwht_buffer_spare", None),
])
def test_a_wrong_verilog_fails_with_a_counterexample(name, mutate, prop, step, tmp_path):
    d = design(name)
    text = generate(d)[0]
    mutated = mutate(text, d)
    assert mutated != text
    result = prove(d, mutated, tmp_path, progress=lambda line: None)
    assert (result.status, result.prop) == ("failed", prop)
    assert step is None or result.step == step
    vcd = result.vcd.read_text()
    assert "$scope module nomul_proof" in vcd and " o_valid " in vcd
    assert f'"{result.vcd.name}"' in result.gtkw.read_text()


def test_cli_proves_a_design_file(tmp_path, capsys):
    path = tmp_path / "combinational.toml"
    path.write_text('name = "combinational"\nn = 4\ninput_width = 4\n'
                    '[[stage]]\nkind = "shift"\nbits = 1\n[[stage]]\nkind = "sign"\n')
    assert main(["prove", str(path), "--work", str(tmp_path / "work")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("proven: the Verilog of combinational equals the specification")


def wrap_design_file(folder):
    """The design file of DESIGNS["signflip_fwht_wrap"] (register = 1 is the default)."""
    path = folder / "d.toml"
    path.write_text('name = "signflip_fwht_wrap"\nn = 8\ninput_width = 4\n'
                    '[[stage]]\nkind = "signflip"\nseed = 1\n'
                    '[[stage]]\nkind = "fwht"\noverflow = "wrap"\nwidth = 6\n')
    assert load_design(path).digest == design("signflip_fwht_wrap").digest
    return path


def test_cli_reports_a_failure_and_its_counterexample(tmp_path, capsys):
    d = design("signflip_fwht_wrap")
    path = wrap_design_file(tmp_path)
    verilog = tmp_path / "edited.v"
    verilog.write_text(subtractor_to_adder(generate(d)[0], d))
    assert main(["prove", str(path), "--verilog", str(verilog),
                 "--work", str(tmp_path / "work")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("FAILED: property tap_s2_fwht_level0 fails at cycle 3 after reset")
    assert out[1].startswith(f"counterexample: {tmp_path / 'work'}")


@pytest.mark.parametrize("edit, message", [
    (lambda text: text.replace("level1_valid", "level1_ok"),
     "{} has no register s2_fwht.level1_valid (the proof reads the registers"),
    (lambda text: text[:text.index("endmodule") - 40],
     "yosys could not read {}: design.v:"),
    (lambda text: text.replace("[47:0] o__payload", "[48:0] o__payload"),
     "{}: port o__payload is a 49-bit output; the design's is a 48-bit output"),
    (lambda text: text.replace("endmodule", "  always @* assume(!i__valid);\nendmodule", 1),
     "{} holds formal statements (assert, assume, cover)"),
])
def test_cli_refuses_a_verilog_that_is_not_the_design(edit, message, tmp_path, capsys):
    d = design("signflip_fwht_wrap")
    path = wrap_design_file(tmp_path)
    verilog = tmp_path / "edited.v"
    verilog.write_text(edit(generate(d)[0]))
    assert main(["prove", str(path), "--verilog", str(verilog),
                 "--work", str(tmp_path / "work")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("nomul: error: " + message.format(verilog))


def test_cli_refuses_delay_lines_in_memory_and_bad_options(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text('name = "s"\nn = 32\ninput_width = 4\nparallelism = 1\n'
                    '[[stage]]\nkind = "fwht"\n')
    assert main(["prove", str(path)]) == 2
    assert capsys.readouterr().err == (
        "nomul: error: s: s1_fwht keeps delay lines of 16 beats or more in memory, which "
        "proofs do not cover (they read delay lines in registers); use 'nomul sim' for "
        "it\n")
    path.write_text('name = "s"\nn = 8\ninput_width = 4\nflow = "credit"\n'
                    '[[stage]]\nkind = "fwht"\n')
    assert main(["prove", str(path)]) == 2
    assert capsys.readouterr().err.startswith(
        'nomul: error: s: proofs cover flow = "stall" only (the output buffer of flow = '
        '"credit" needs invariants of its memory)')
    path.write_text('name = "s"\nn = 8\ninput_width = 4\n[[stage]]\nkind = "fwht"\n')
    assert main(["prove", str(path), "--depth", "0"]) == 2
    assert capsys.readouterr().err == ("nomul: error: --depth 0: must be an integer from 1 "
                                       "to 100\n")
