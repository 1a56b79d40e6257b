"""The cocotb testbench of ``nomul sim`` (run by :mod:`nomul.sim.cocotb_runner`).

It knows the design only through its manifest, and drives it with the classes that users'
own testbenches have (:class:`nomul.sim.bench.DesignBench`): its source offers the beats of
the input vectors on the cycles the ``in_valid`` pattern says (idle on the others), moves
on after a cycle with ``valid & ready & ~rst`` and goes back to the first beat of its
vector on a reset; its sink holds ``o__ready`` low where the ``out_ready`` pattern is low;
the testbench drives ``rst`` from the ``reset`` pattern. The cycle-level golden model
(``golden.cycle``) makes the same moves. On every cycle, at the falling edge, it samples
``i__ready``, ``o__valid``, ``o__payload`` and every tap's register and valid bit; the
samples go back to the runner, which compares them with the cycle model.

The run is described by a JSON file named in the environment variable
``NOMUL_COCOTB_RUN``: ``manifest`` (path), ``stimulus`` (an ``.npz`` with ``vectors``,
``in_valid``, ``out_ready``, ``reset``) and ``samples`` (the ``.npz`` to write).
"""

import json
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, RisingEdge

from .bench import DesignBench, _handle, _high, _unsigned

__all__ = ["sample_every_cycle"]

PRE_RESET_CYCLES = 2


def _hex(values):
    return np.array(["x" if v is None else f"{v:x}" for v in values])


@cocotb.test()
async def sample_every_cycle(dut):
    run = json.loads(Path(os.environ["NOMUL_COCOTB_RUN"]).read_text())
    bench = DesignBench(dut, run["manifest"])          # starts the clock
    stimulus = np.load(run["stimulus"])
    in_valid, out_ready, reset = (stimulus[k].astype(bool) for k in
                                  ("in_valid", "out_ready", "reset"))
    taps = [tap for stage in bench.manifest["stages"] for tap in stage["taps"]]
    handles = [(_handle(dut, tap["name"]), _handle(dut, tap["valid"])) for tap in taps]
    cycles = len(in_valid)
    seen_in_ready = np.zeros(cycles, bool)
    seen_out_valid = np.zeros(cycles, bool)
    seen_out_payload = [0] * cycles
    seen_taps = [(np.zeros(cycles, bool), [0] * cycles) for _ in taps]

    dut.rst.value = 1
    for _ in range(PRE_RESET_CYCLES - 1):
        await RisingEdge(dut.clk)
    # Mid-way through the last cycle in reset, so that the source and sink take their first
    # pattern step on cycle 0, which starts with the next rising edge.
    await FallingEdge(dut.clk)
    bench.set_idle((~in_valid).tolist())
    bench.set_backpressure((~out_ready).tolist())
    await bench.send(stimulus["vectors"])

    for t in range(cycles):
        await RisingEdge(dut.clk)
        dut.rst.value = int(reset[t])
        await FallingEdge(dut.clk)
        seen_in_ready[t] = _high(dut.i__ready)
        seen_out_valid[t] = _high(dut.o__valid)
        seen_out_payload[t] = _unsigned(dut.o__payload)
        for (register, valid), (seen_valid, seen_payload) in zip(handles, seen_taps):
            seen_valid[t] = _high(valid)
            seen_payload[t] = _unsigned(register)

    np.savez(run["samples"], in_ready=seen_in_ready, out_valid=seen_out_valid,
             out_payload=_hex(seen_out_payload),
             **{f"valid:{tap['name']}": valid for tap, (valid, _) in zip(taps, seen_taps)},
             **{f"payload:{tap['name']}": _hex(payload)
                for tap, (_, payload) in zip(taps, seen_taps)})
