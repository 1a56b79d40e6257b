"""Benchmark: time to generate a fully parallel FWHT, and Amaranth-simulator throughput.

Prints, for n = 64, 256, 1024 (8-bit inputs, grow, a register after every level): the
seconds to build the design object and elaborate and convert it to Verilog, and the
Verilog's size; then vectors per second through the Amaranth simulator for a 64-point
HD block (signflip, fwht, sign), with every register compared on every cycle, and with
the output alone observed.

Run: .venv/bin/python bench/generate.py   (or make bench)
"""

import platform
import time

import numpy as np

from nomul.design import parse_design
from nomul.golden import cycle
from nomul.sim.amaranth_sim import check, observe
from nomul.verilog import generate


def fwht_design(n):
    return parse_design({"name": f"fwht{n}", "n": n, "input_width": 8,
                         "stage": [{"kind": "fwht", "overflow": "grow"}]})


def main():
    print(f"nomul generation benchmark on {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")
    print(f"{'n':>6} {'adders':>8} {'seconds':>8} {'Verilog lines':>14}")
    for n in (64, 256, 1024):
        start = time.perf_counter()
        text, _ = generate(fwht_design(n))
        seconds = time.perf_counter() - start
        adders = n * (n.bit_length() - 1)
        print(f"{n:>6} {adders:>8} {seconds:>8.2f} {text.count(chr(10)):>14}", flush=True)

    design = parse_design({"name": "hd64", "n": 64, "input_width": 8, "stage": [
        {"kind": "signflip", "seed": 7}, {"kind": "fwht", "overflow": "grow"},
        {"kind": "sign"}]})
    vectors = np.random.default_rng(0).integers(-128, 128, (2000, 64))
    cycles = len(vectors) + design.latency + 1
    ones = np.ones(cycles, bool)
    report = check(design, vectors, ones, ones)
    assert report.mismatch is None, report.mismatch
    start = time.perf_counter()
    observe(design, vectors, ones, ones)
    observed = time.perf_counter() - start
    start = time.perf_counter()
    cycle.simulate(design, vectors, ones, ones)
    model = time.perf_counter() - start
    print(f"Amaranth simulator, 64-point HD block, {len(vectors)} vectors at full throughput:")
    print(f"  simulate and record all {report.registers} registers: "
          f"{len(vectors) / observed:,.0f} vectors/s")
    print(f"  cycle model alone: {len(vectors) / model:,.0f} vectors/s")
    print(f"  simulate + model + compare every register every cycle: "
          f"{len(vectors) / report.seconds:,.0f} vectors/s, 0 mismatches")


if __name__ == "__main__":
    main()
