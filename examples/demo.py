"""The demo behind `make demo`: every example design generated, simulated and checked.

For each design in examples/: write the Verilog and manifest to build/demo/, simulate
it in Amaranth's simulator under random valid/ready stalls comparing every register on
every cycle with the cycle-level golden model, and do the same with the Verilog itself
under cocotb and Icarus Verilog.
Then show what the designs are for, with the golden model (which the simulations above
showed the hardware equals): the HD block's hash bits collide with probability close to
1 - angle/pi, the cross-polytope hash keeps near neighbours in one bucket, and the binary
classifier names the class of noisy vectors.
Then the proof: examples/fwht8.toml proven equal to its specification for every input,
valid/ready pattern and reset (nomul prove, k-induction).
Last, the trained digit classifiers of examples/digits/ (examples/digits/demo.py): the
whole test split through the golden model, the compiled lane and the virtual board, the
board images built or reused, and report/digits.md.
"""

import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

from nomul.design import load_design
from nomul.formal.prove import prove
from nomul.golden.functional import run
from nomul.sim import cocotb_runner
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
    # A streaming design takes `interval` cycles per vector: fewer vectors, more cycles.
    count = VECTORS if design.interval == 1 else max(4, 4000 // design.interval)
    in_verilog = min(200, count)
    vectors = rng.integers(-half, half, (count, design.n))
    cycles = int(count * design.interval / (0.8 * 0.7) * 1.2) + 4 * design.latency + 100
    in_valid, out_ready = stall_patterns(1, cycles, 0.8, 0.7, long_stall=20)
    report = check(design, vectors, in_valid, out_ready)

    verilog_check = cocotb_runner.check(design, vectors[:in_verilog], in_valid, out_ready,
                                        simulator="icarus", work=out / "cocotb")
    print(f"{design.name}: {design.input.describe()} -> {design.output.describe()}, "
          f"{len(design.stages)} stages, latency {design.latency}")
    print(f"  Verilog + manifest: {out.relative_to(ROOT)}/ ({generated:.2f} s)")
    print(f"  Amaranth sim: {report.vectors}/{count} vectors, {report.registers} registers "
          f"x {report.cycles} cycles compared, "
          f"{'MISMATCH: ' + report.mismatch if report.mismatch else '0 mismatches'}")
    print(f"  Verilog in cocotb + Icarus: {verilog_check.vectors}/{in_verilog} vectors, "
          f"{verilog_check.registers} registers x {verilog_check.cycles} cycles compared, "
          + (f"MISMATCH: {verilog_check.mismatch}" if verilog_check.mismatch
             else "0 mismatches"))
    return (report.mismatch is None and report.vectors == count
            and verilog_check.mismatch is None and verilog_check.vectors == in_verilog)


def show_hashing():
    design = load_design(ROOT / "examples/hd_block64.toml")
    rng = np.random.default_rng(2)
    print("hd_block64 as a hash: per-bit collision rate of pairs at a given angle "
          "(2000 pairs each)")
    print("  angle   measured   1 - angle/pi")
    for degrees in (10, 30, 60, 90):
        # Unit vectors in 64 dimensions have elements near 1/8: scaled by 320 they are
        # about 40, inside the 8-bit input range.
        a, c = pairs_at_angle(rng, 2000, 64, degrees, 320)
        rate = np.mean(run(design, a) == run(design, c))
        print(f"  {degrees:4d}    {rate:.3f}      {1 - degrees / 180:.3f}")


def pairs_at_angle(rng, count, n, degrees, amplitude):
    """``count`` pairs of random vectors ``degrees`` apart, scaled to ``amplitude`` * unit
    and rounded to 8-bit integers (the rare outlier is clipped)."""
    a = rng.standard_normal((count, n))
    b = rng.standard_normal((count, n))
    b -= (np.sum(a * b, 1) / np.sum(a * a, 1))[:, None] * a
    a /= np.linalg.norm(a, axis=1)[:, None]
    b /= np.linalg.norm(b, axis=1)[:, None]
    theta = np.radians(degrees)
    c = np.cos(theta) * a + np.sin(theta) * b
    to_int = lambda v: np.clip(np.round(amplitude * v), -128, 127).astype(np.int64)
    return to_int(a), to_int(c)


def show_cross_polytope():
    design = load_design(ROOT / "examples/cross_polytope64.toml")
    rng = np.random.default_rng(3)
    print("cross_polytope64: share of pairs in the same bucket (of 128), 2000 pairs each")
    for degrees in (5, 20, 45, 90):
        a, c = pairs_at_angle(rng, 2000, 64, degrees, 320)
        same = np.mean(run(design, a)[:, 0] == run(design, c)[:, 0])
        print(f"  {degrees:4d} degrees apart: {same:.3f}")


def show_classifier():
    design = load_design(ROOT / "examples/binary_classifier.toml")
    prototypes = np.random.default_rng(2026).integers(-100, 101, (10, 64))
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 10, 5000)
    print("binary_classifier: accuracy on 5000 noisy vectors per noise level "
          "(10 classes, chance 0.100)")
    for noise in (20, 40, 60, 80):
        x = np.clip(prototypes[labels] + np.round(rng.normal(0, noise, (5000, 64))),
                    -128, 127).astype(np.int64)
        accuracy = np.mean(run(design, x)[:, 0] == labels)
        print(f"  noise sigma {noise:3d} (prototype elements up to 100): {accuracy:.3f}")


def show_proof():
    """Proves examples/fwht8.toml; whether it was proven."""
    design = load_design(ROOT / "examples" / "fwht8.toml")
    verilog = (OUT / design.name / f"{design.name}.v").read_text()
    result = prove(design, verilog, OUT / design.name / "prove", progress=lambda line: None)
    print(f"{design.name}: {result.status} by k-induction for every input, valid/ready "
          f"pattern and reset ({result.seconds:.1f} s; nomul prove)")
    return result.proven


def show_digits():
    """examples/digits/demo.py; whether its checks passed."""
    spec = importlib.util.spec_from_file_location("digits_demo",
                                                  ROOT / "examples" / "digits" / "demo.py")
    digits = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(digits)
    return digits.main([]) == 0


def main():
    print(f"nomul demo: examples/*.toml -> {OUT.relative_to(ROOT)}/\n")
    ok = all([show_design(path) for path in sorted(ROOT.glob("examples/*.toml"))])
    print()
    show_hashing()
    print()
    show_cross_polytope()
    print()
    show_classifier()
    print()
    ok = show_proof() and ok
    print()
    ok = show_digits() and ok
    print("\nall checks passed" if ok else "\nSOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
