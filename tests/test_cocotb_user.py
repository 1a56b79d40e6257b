"""nomul.sim.bench in users' own cocotb tests: the example of examples/cocotb_user (a user's
top holding a generated streaming classifier) under Icarus Verilog and Verilator with random
idle and backpressure, a streaming design through the API with a reset in mid-stream, the
scoreboard catching a design with one subtractor turned into an adder, and the parts that
need no simulator (packing, the design rebuilt from its manifest).

This file is also the cocotb test module of two tests (``stream_through_the_api`` and
``standalone_drivers_and_a_watching_bench``), as cocotb's own examples keep the cocotb tests
and their pytest runner together."""

import importlib.util
import itertools
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles

from nomul.design import load_design, parse_design
from nomul.golden import functional
from nomul.packing import pack
from nomul.sim.bench import (DesignBench, StreamFormat, StreamSink, StreamSource, TestsFailed,
                             design_from_manifest, random_pauses, run)
from nomul.verilog import generate, write

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "cocotb_user"
CLASSIFIER = ROOT / "examples" / "hd_classifier64_stream.toml"
EXAMPLES = sorted(ROOT.glob("examples/*.toml"))

# 16 elements in 4 beats of 4 on both ports; signed outputs.
STREAM = {"name": "stream16", "n": 16, "input_width": 6, "parallelism": 4,
          "stage": [{"kind": "signflip", "seed": 5}, {"kind": "fwht", "overflow": "grow"}]}


def example():
    """The user's test module of examples/cocotb_user, imported from its file."""
    spec = importlib.util.spec_from_file_location("test_user_top", EXAMPLE / "test_user_top.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def results(path):
    """``{test name: failure message or None}`` from a cocotb results file."""
    cases = ElementTree.parse(path).getroot().iter("testcase")
    return {case.get("name"): next((f.get("message") for f in case.iter("failure")), None)
            for case in cases}


def broken_verilog(design, folder):
    """The design's Verilog and manifest in ``folder``, with the first subtractor of its
    FWHT stage's module turned into an adder."""
    verilog, manifest = write(design, folder)
    lines = verilog.read_text().splitlines(keepends=True)
    fwht = next(stage.instance for stage in design.stages if stage.kind == "fwht")
    module = next(i for i, line in enumerate(lines)
                  if line.startswith(f"module \\{design.name}.{fwht} "))
    at = next(i for i in range(module, len(lines)) if ") - $signed(" in lines[i])
    lines[at] = lines[at].replace(") - $signed(", ") + $signed(", 1)
    verilog.write_text("".join(lines))
    return verilog, manifest


@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
def test_the_example(simulator, tmp_path):
    """The user's own pytest function, as the user would run it."""
    example().test_user_top(simulator, tmp_path)
    assert results(tmp_path / "results.xml") == {"classes_match_the_golden_model": None}


def test_the_scoreboard_names_vector_element_expected_and_got(tmp_path):
    design = load_design(CLASSIFIER)
    verilog, manifest = broken_verilog(design, tmp_path / "broken")
    with pytest.raises(TestsFailed) as failed:
        run(EXAMPLE / "test_user_top.py", manifest=manifest,
            verilog=[verilog, EXAMPLE / "user_top.v"], toplevel="user_top", work=tmp_path / "run")
    message = str(failed.value)
    assert message.startswith("1 of 1 cocotb tests failed under icarus (log: ")
    found = re.search(r"test_user_top\.classes_match_the_golden_model: Mismatch: "
                      r"hd_classifier64_stream: output of vector (\d+), element 0: "
                      r"expected (\d+) \(index=\d+\), got (\d+) \(index=\d+\) "
                      r"\(1 of 1 elements differ\)", message)
    assert found, message
    vector, expected, got = map(int, found.groups())
    # The expected class is the golden model's for that vector of the user's test.
    x = np.random.default_rng(3).integers(-128, 128, size=(example().VECTORS, 64))
    assert functional.run(design, x[vector:vector + 1])[0, 0] == expected != got


@cocotb.test()
async def stream_through_the_api(dut):
    """A streaming design at the top: 4 beats per vector each way, idle and backpressure,
    and a reset in mid-stream, which loses the vectors in the design."""
    bench = DesignBench(dut)
    assert (bench.input.beats, bench.output.beats) == (4, 4)
    bench.scoreboard = True
    bench.set_idle(random_pauses(4, 0.4))
    bench.set_backpressure(random_pauses(5, 0.4))
    await bench.reset()
    rng = np.random.default_rng(6)
    x = rng.integers(-32, 32, size=(25, 16))
    await bench.send(x)
    y = await bench.receive(25)
    assert (y == bench.golden(x)).all() and y.min() < 0
    assert (bench.golden(x[0]) == y[0]).all()         # one vector: shape (n,) to (m,)

    more = rng.integers(-32, 32, size=(20, 16))
    await bench.send(more)
    await ClockCycles(dut.clk, 45)
    await bench.reset()                    # in mid-stream: the source restarts its vector
    await bench.source.wait()
    await ClockCycles(dut.clk, 4 * bench.design.latency + 20)
    left = bench.output_monitor.count - 25
    assert 0 < left < 20 and bench.compared == 25 + left
    tail = [await bench.receive() for _ in range(left)]
    assert (tail[-1] == bench.golden(more[-1])).all()


def test_a_streaming_design_through_the_api(tmp_path):
    run(__file__, design=parse_design(STREAM), testcase="stream_through_the_api",
        work=tmp_path)
    assert results(tmp_path / "results.xml") == {"stream_through_the_api": None}


@cocotb.test()
async def standalone_drivers_and_a_watching_bench(dut):
    """nomul's source and sink on the user's top by its own port names, and a bench that
    only watches the instance inside and checks it all the same."""
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    bench = DesignBench(dut, prefix="u_classifier")
    assert bench.source is None and bench.sink is None
    bench.scoreboard = True
    source = StreamSource(dut.clk, dut.samples_valid, dut.samples_ready, dut.samples,
                          bench.input, reset=dut.rst)
    sink = StreamSink(dut.clk, dut.class_valid, dut.class_ready, dut.class_index,
                      bench.output, reset=dut.rst)
    source.set_idle(itertools.cycle([False, False, True]))
    sink.set_backpressure(random_pauses(7, 0.6))
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    x = np.random.default_rng(8).integers(-128, 128, size=(12, 64))
    await source.send(x)
    classes = await sink.receive(12)
    assert (classes == bench.golden(x)).all()
    assert (await bench.receive(12) == classes).all() and bench.compared == 12
    with pytest.raises(RuntimeError, match=r"reset the top instead"):
        await bench.reset()


def test_standalone_drivers_and_a_watching_bench(tmp_path):
    run(__file__, design=CLASSIFIER, verilog=[EXAMPLE / "user_top.v"], toplevel="user_top",
        testcase="standalone_drivers_and_a_watching_bench", work=tmp_path)
    assert results(tmp_path / "results.xml") == {
        "standalone_drivers_and_a_watching_bench": None}


# Without a simulator.

@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_the_design_is_rebuilt_from_its_manifest(path):
    design = load_design(path)
    _, manifest = generate(design)
    assert design_from_manifest(json.loads(json.dumps(manifest))) == design


def test_a_manifest_that_does_not_match_its_design_is_refused():
    _, manifest = generate(parse_design(STREAM))
    manifest = json.loads(json.dumps(manifest))
    manifest["stages"][0]["signs"][3] *= -1
    with pytest.raises(ValueError, match=r"^the manifest of stream16 does not describe its "
                                         r"design hash [0-9a-f]{12}\.\.\.: was it edited"):
        design_from_manifest(manifest)


def test_stream_format_packs_beats_as_the_manifest_says():
    _, manifest = generate(parse_design(STREAM))
    source, sink = StreamFormat(manifest["input"]), StreamFormat(manifest["output"])
    x = np.random.default_rng(0).integers(-32, 32, size=16)
    beats = source.encode(x)
    assert beats == [pack(x[4 * b:4 * b + 4], 6) for b in range(4)]
    assert (source.decode(beats) == x).all()
    y = functional.run(parse_design(STREAM), x)[0]
    assert (sink.decode(sink.encode(y)) == y).all()
    with pytest.raises(ValueError, match=r"^element \[0, 2\] = 32 is outside the signed "
                                         r"6-bit range -32\.\.31$"):
        source.encode(np.where(np.arange(16) == 2, 32, 0))


def test_struct_fields_are_read_from_the_manifest():
    design = parse_design({"name": "argmax", "n": 64, "input_width": 4, "stage": [
        {"kind": "argmax", "absolute": True}]})
    _, manifest = generate(design)
    output = StreamFormat(manifest["output"])
    assert [f[0] for f in output.fields] == ["index", "negative"]
    values = np.array([5 | 64, 63])
    assert {k: v.tolist() for k, v in output.fields_of(values).items()} == {
        "index": [5, 63], "negative": [1, 0]}
    assert output.show(5 | 64) == "69 (index=5, negative=1)"
