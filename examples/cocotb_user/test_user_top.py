"""A user's own cocotb test of user_top.v, which holds the classifier that nomul generated
from examples/hd_classifier64_stream.toml as its instance u_classifier.

nomul's bench drives the top's ports that reach the classifier, with random idle and
backpressure, and its scoreboard checks every class against nomul's golden model of the
same design; the test checks the top's own logic. Run it with pytest, which builds and runs
it with Icarus Verilog and with Verilator::

    pytest examples/cocotb_user/test_user_top.py
"""

from pathlib import Path

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

from nomul.sim.bench import DesignBench, random_pauses, run

HERE = Path(__file__).parent
VECTORS = 40


@cocotb.test()
async def classes_match_the_golden_model(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    bench = DesignBench(dut, prefix="u_classifier", drive={
        "i__valid": "samples_valid", "i__payload": "samples", "o__ready": "class_ready"})
    bench.scoreboard = True              # fails the test at the first wrong class
    bench.set_idle(random_pauses(seed=1, probability=0.3))
    bench.set_backpressure(random_pauses(seed=2, probability=0.5))
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0

    x = np.random.default_rng(3).integers(-128, 128, size=(VECTORS, 64))
    await bench.send(x)
    classes = await bench.receive(VECTORS)
    assert (classes == bench.golden(x)).all()
    assert bench.compared == VECTORS

    await FallingEdge(dut.clk)           # one clock edge later, the top's own logic
    assert dut.results.value.to_unsigned() == VECTORS
    assert dut.last_class.value.to_unsigned() == bench.fields(classes[-1])["index"]


@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
def test_user_top(simulator, tmp_path):
    run(__file__, design=HERE.parent / "hd_classifier64_stream.toml",
        verilog=[HERE / "user_top.v"], toplevel="user_top", simulator=simulator,
        work=tmp_path)
