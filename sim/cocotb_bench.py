"""The cocotb testbench for generated Verilog (run by :mod:`nomul.sim.cocotb_runner`).

It knows the design only through its manifest: port names, tap names and widths. Per
cycle it drives ``rst``, ``i__valid``, ``i__payload`` and ``o__ready`` from the stimulus
file, and just before the next rising edge it samples ``i__ready``, ``o__valid``,
``o__payload`` and every tap's register and valid bit. The source offers the next beat
wherever the pattern says valid and moves on after a cycle with ``valid & ready & ~rst``
(a reset sends it back to the first beat of its vector), like ``golden.cycle``. The samples go back to the runner, which compares them with the
cycle-level golden model.

The run is described by a JSON file named in the environment variable
``NOMUL_COCOTB_RUN``: ``manifest`` (path), ``stimulus`` (an ``.npz`` with ``payloads``
as hex strings, ``in_valid``, ``out_ready``, ``reset``) and ``samples`` (the ``.npz`` to
write).
"""

import json
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

__all__ = ["sample_every_cycle"]

PRE_RESET_CYCLES = 2


def _handle(dut, path):
    handle = dut
    for part in path.split("."):
        handle = getattr(handle, part)
    return handle


def _read(handle):
    """The unsigned value of ``handle``, or ``None`` when any bit is X or Z (or another
    non-binary state). Parsing the simulator's bit string directly is some 20 times
    faster than cocotb's per-bit ``is_resolvable`` on wide buses."""
    try:
        return int(str(handle.value), 2)
    except ValueError:
        return None


def _hex(values):
    return np.array(["x" if v is None else f"{v:x}" for v in values])


@cocotb.test()
async def sample_every_cycle(dut):
    run = json.loads(Path(os.environ["NOMUL_COCOTB_RUN"]).read_text())
    manifest = json.loads(Path(run["manifest"]).read_text())
    stimulus = np.load(run["stimulus"])
    payloads = [int(p, 16) for p in stimulus["payloads"]]
    in_valid, out_ready, reset = (stimulus[k].astype(bool).tolist()
                                  for k in ("in_valid", "out_ready", "reset"))
    beats = manifest["input"]["beats"]
    taps = [tap for stage in manifest["stages"] for tap in stage["taps"]]
    handles = [(_handle(dut, tap["name"]), _handle(dut, tap["valid"])) for tap in taps]
    cycles = len(in_valid)
    seen_in_ready = np.zeros(cycles, bool)
    seen_out_valid = np.zeros(cycles, bool)
    seen_out_payload = [0] * cycles
    seen_taps = [(np.zeros(cycles, bool), [0] * cycles) for _ in taps]

    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.i__valid.value = 0
    dut.i__payload.value = 0
    dut.o__ready.value = 0
    for _ in range(PRE_RESET_CYCLES):
        await RisingEdge(dut.clk)

    k = 0
    for t in range(cycles):
        offer = in_valid[t] and k < len(payloads)
        dut.rst.value = int(reset[t])
        dut.i__valid.value = int(offer)
        dut.i__payload.value = payloads[k] if offer else 0
        dut.o__ready.value = int(out_ready[t])
        await FallingEdge(dut.clk)
        ready = _read(dut.i__ready) == 1
        seen_in_ready[t] = ready
        seen_out_valid[t] = _read(dut.o__valid) == 1
        seen_out_payload[t] = _read(dut.o__payload)
        for (register, valid), (seen_valid, seen_payload) in zip(handles, seen_taps):
            seen_valid[t] = _read(valid) == 1
            seen_payload[t] = _read(register)
        if reset[t]:
            k -= k % beats          # the source restarts the vector it was sending
        elif offer and ready:
            k += 1
        await RisingEdge(dut.clk)

    np.savez(run["samples"], in_ready=seen_in_ready, out_valid=seen_out_valid,
             out_payload=_hex(seen_out_payload),
             **{f"valid:{tap['name']}": valid for tap, (valid, _) in zip(taps, seen_taps)},
             **{f"payload:{tap['name']}": _hex(payload)
                for tap, (_, payload) in zip(taps, seen_taps)})
