"""Benchmark: vectors per second checked, every register compared with the cycle model on
every cycle, in the four lanes side by side (Amaranth, cocotb + Icarus, cocotb +
Verilator, the compiled lane), for three example sizes; the compiled lane's time split
into building, simulating (driver time not hidden behind Python's work), the cycle
model, reading traces and comparing; then a soak through the compiled lane.

Run: .venv/bin/python bench/simulators.py [--vectors 2000] [--fast-vectors 200000]
     [--soak 1000000]
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nomul.design import load_design                     # noqa: E402
from nomul.sim import amaranth_sim, cocotb_runner, fast  # noqa: E402
from nomul.sim.patterns import stall_patterns            # noqa: E402

DESIGNS = ["fwht16_wrap", "hd_block64", "hd_classifier64_stream"]
IN_DUTY, OUT_DUTY = 0.8, 0.7


def stimulus(design, count, seed):
    vectors = np.random.default_rng(seed).integers(-128, 128, (count, design.n))
    cycles = int(count * design.interval * 1.3 / (IN_DUTY * OUT_DUTY)) + 100
    in_valid, out_ready = stall_patterns(seed, cycles, IN_DUTY, OUT_DUTY, long_stall=20)
    return vectors, in_valid, out_ready


def interpreted(simulator, design, count, seed, work):
    vectors, in_valid, out_ready = stimulus(design, count, seed)
    if simulator == "amaranth":
        report = amaranth_sim.check(design, vectors, in_valid, out_ready)
    else:
        report = cocotb_runner.check(design, vectors, in_valid, out_ready,
                                     simulator=simulator, work=work)
    assert report.mismatch is None, f"{simulator} seed {seed}: {report.mismatch}"
    return report


def compiled(design, count, seed, work):
    report = fast.run(design, fast.random_chunks(design, count, seed, IN_DUTY, OUT_DUTY), work)
    assert report.mismatch is None and report.vectors == count, report.mismatch
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=2000,
                        help="vectors per interpreted lane (fewer for streaming designs)")
    parser.add_argument("--fast-vectors", type=int, default=200_000)
    parser.add_argument("--soak", type=int, default=0,
                        help="vectors of hd_block64 through the compiled lane afterwards")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nomul-bench-"))
    print(f"every register compared on every cycle; in-duty {IN_DUTY}, out-duty {OUT_DUTY}")
    for name in DESIGNS:
        design = load_design(ROOT / "examples" / f"{name}.toml")
        beats = design.interval
        print(f"{name}: {design.n} elements, "
              f"{beats} beat(s) per vector", flush=True)
        count = max(20, args.vectors // beats)
        for simulator in ("amaranth", "icarus", "verilator"):
            interpreted(simulator, design, 20, 0, work / name / simulator)   # the build
            start = time.perf_counter()
            report = interpreted(simulator, design, count, 1, work / name / simulator)
            seconds = time.perf_counter() - start
            print(f"  {simulator:<10} {count:>9,} vectors {count / seconds:>10,.0f} vectors/s "
                  f"{report.cycles / seconds:>12,.0f} cycles/s", flush=True)
        count = max(100, args.fast_vectors // beats)
        report = compiled(design, count, 1, work / name / "fast")
        t = report.timing
        after = report.seconds - t["build"]
        parts = ("simulate", "model", "read", "compare")
        shares = ", ".join(f"{key} {t[key] / sum(t[k] for k in parts):.0%}" for key in parts)
        print(f"  {'fast':<10} {count:>9,} vectors {count / after:>10,.0f} vectors/s "
              f"{report.cycles / after:>12,.0f} cycles/s  (build {t['build']:.0f} s; the "
              f"workers' time: {shares})", flush=True)
    if args.soak:
        design = load_design(ROOT / "examples" / "hd_block64.toml")
        start = time.perf_counter()
        report = compiled(design, args.soak, 100, work / "soak")
        print(f"soak: {report.vectors:,} vectors of hd_block64, {report.cycles:,} cycles, "
              f"every register compared on every cycle, 0 mismatches, "
              f"{time.perf_counter() - start:.0f} s including a {report.timing['build']:.0f} s "
              "build", flush=True)


if __name__ == "__main__":
    main()
