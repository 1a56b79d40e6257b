"""The demo behind `make demo`: every example design generated, simulated and checked.

For each design in examples/: write the Verilog and manifest to build/demo/, simulate
it in Amaranth's simulator under random valid/ready stalls comparing every register on
every cycle with the cycle-level golden model, and compile the Verilog with Icarus.
Then show what the 64-point HD block is for: a locality-sensitive hash whose bits
collide with probability close to 1 - angle/pi.
"""

import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from nomul.design import load_design
from nomul.golden.functional import run
from nomul.sim.amaranth_sim import check
from nomul.sim.patterns import stall_patterns
from nomul.verilog import write

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "demo"
VECTORS = 500


def show_design(path):
    design = load_design(path)
    start = time.perf_counter()
    out = OUT / design.name
    verilog_path, _ = write(design, out)
    generated = time.perf_counter() - start

    rng = np.random.default_rng(1)
    half = 1 << (design.input_width - 1)
    vectors = rng.integers(-half, half, (VECTORS, design.n))
    cycles = 2 * VECTORS + 4 * design.latency + 100
    in_valid, out_ready = stall_patterns(1, cycles, 0.8, 0.7, long_stall=20)
    report = check(design, vectors, in_valid, out_ready)

    iverilog = shutil.which("iverilog")
    compiled = subprocess.run([iverilog, "-g2012", "-o", str(out / "top.vvp"),
                               str(verilog_path)], capture_output=True)
    print(f"{design.name}: {design.input.describe()} -> {design.output.describe()}, "
          f"{len(design.stages)} stages, latency {design.latency}")
    print(f"  Verilog + manifest: {out.relative_to(ROOT)}/ ({generated:.2f} s)")
    print(f"  Amaranth sim: {report.vectors}/{VECTORS} vectors, {report.registers} registers "
          f"x {report.cycles} cycles compared, "
          f"{'MISMATCH: ' + report.mismatch if report.mismatch else '0 mismatches'}")
    print(f"  Icarus compile: {'ok' if compiled.returncode == 0 else 'FAILED'}")
    return report.mismatch is None and report.vectors == VECTORS and compiled.returncode == 0


def show_hashing():
    design = load_design(ROOT / "examples/hd_block64.toml")
    rng = np.random.default_rng(2)
    print("hd_block64 as a hash: per-bit collision rate of pairs at a given angle "
          "(2000 pairs each)")
    print("  angle   measured   1 - angle/pi")
    for degrees in (10, 30, 60, 90):
        theta = np.radians(degrees)
        a = rng.standard_normal((2000, 64))
        b = rng.standard_normal((2000, 64))
        b -= (np.sum(a * b, 1) / np.sum(a * a, 1))[:, None] * a   # orthogonal to a
        a /= np.linalg.norm(a, axis=1)[:, None]
        b /= np.linalg.norm(b, axis=1)[:, None]
        c = np.cos(theta) * a + np.sin(theta) * b
        # Unit vectors in 64 dimensions have elements near 1/8: scaled by 320 they are
        # about 40, inside the 8-bit input range (the rare outlier is clipped).
        x = np.clip(np.round(320 * np.vstack([a, c])), -128, 127).astype(np.int64)
        bits = run(design, x)
        rate = np.mean(bits[:2000] == bits[2000:])
        print(f"  {degrees:4d}    {rate:.3f}      {1 - degrees / 180:.3f}")


def main():
    print(f"nomul demo: examples/*.toml -> {OUT.relative_to(ROOT)}/\n")
    ok = all([show_design(path) for path in sorted(ROOT.glob("examples/*.toml"))])
    print()
    show_hashing()
    print("\nall checks passed" if ok else "\nSOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
