"""Benchmark: vectors per second checked for a 64-point HD block (signflip, fwht, sign)
under the Amaranth simulator, cocotb + Icarus Verilog and cocotb + Verilator, with every
register compared with the cycle model on every cycle; then a soak run through the
fastest of them.

Run: .venv/bin/python bench/simulators.py [--vectors 2000] [--soak 1000000]
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from nomul.design import load_design
from nomul.sim import amaranth_sim, cocotb_runner
from nomul.sim.patterns import stall_patterns

DESIGN = Path(__file__).resolve().parent.parent / "examples" / "hd_block64.toml"


def stimulus(design, count, seed):
    vectors = np.random.default_rng(seed).integers(-128, 128, (count, design.n))
    cycles = int(count / 0.5 * 1.25) + 100
    in_valid, out_ready = stall_patterns(seed, cycles, 0.8, 0.7, long_stall=20)
    return vectors, in_valid, out_ready


def run(simulator, design, count, seed, work):
    vectors, in_valid, out_ready = stimulus(design, count, seed)
    if simulator == "amaranth":
        report = amaranth_sim.check(design, vectors, in_valid, out_ready)
    else:
        report = cocotb_runner.check(design, vectors, in_valid, out_ready,
                                     simulator=simulator, work=work)
    assert report.mismatch is None, f"{simulator} seed {seed}: {report.mismatch}"
    assert report.vectors == count, f"{simulator} seed {seed}: {report.vectors} of {count} out"
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=2000)
    parser.add_argument("--soak", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=20_000)
    args = parser.parse_args()
    design = load_design(DESIGN)
    work = Path(tempfile.mkdtemp(prefix="nomul-bench-"))
    print(f"{design.name}: {design.input.describe()} -> {design.output.describe()}, "
          f"{design.latency + 1} registers compared per cycle; in-duty 0.8, out-duty 0.7")
    rates = {}
    for simulator in ("amaranth", "icarus", "verilator"):
        run(simulator, design, 50, 0, work / simulator)   # build once, outside the timing
        start = time.perf_counter()
        report = run(simulator, design, args.vectors, 1, work / simulator)
        seconds = time.perf_counter() - start
        rates[simulator] = args.vectors / seconds
        print(f"  {simulator:<10} {args.vectors} vectors, {report.cycles} cycles: "
              f"{rates[simulator]:8,.0f} vectors/s, {report.cycles / seconds:8,.0f} cycles/s, "
              "0 mismatches", flush=True)
    fastest = max(rates, key=rates.get)
    if args.soak:
        print(f"soak: {args.soak:,} vectors through {fastest} in runs of {args.chunk:,}")
        start, done, cycles = time.perf_counter(), 0, 0
        seed = 100
        while done < args.soak:
            count = min(args.chunk, args.soak - done)
            report = run(fastest, design, count, seed, work / fastest)
            done, cycles, seed = done + count, cycles + report.cycles, seed + 1
            print(f"  {done:>9,} vectors, {cycles:>10,} cycles, 0 mismatches "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
        print(f"soak done: {done:,} vectors, {cycles:,} cycles, every register compared on "
              f"every cycle, 0 mismatches, {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
