"""Benchmark: a wrap FWHT with 12-bit width (8-bit inputs, a register after every level),
placed and routed out of context: n = 16, 64, 256 on ecp5-85k and n = 16, 32 on up5k,
each with three placement seeds.

Prints, per point and seed, logic cells, carry cells, flip-flops (and the floor), logic
cells per adder bit of the floor (one adder bit per needed output bit per level) and
Fmax; then the median and range over the seeds, and elements per second (median Fmax x
n: one vector per cycle), into the section "FWHT synthesis" of BENCHMARKS.md.

Run: .venv/bin/python bench/synth_fwht.py [--seeds 1,2,3] [--points ecp5-85k:16,up5k:32]
"""

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import spread, write_section  # noqa: E402

from nomul.boards.synth import ToolError, synthesize  # noqa: E402
from nomul.design import parse_design  # noqa: E402

POINTS = [("ecp5-85k", 16), ("ecp5-85k", 64), ("ecp5-85k", 256), ("up5k", 16), ("up5k", 32)]


def point(text):
    target, n = text.split(":")
    return target, int(n)


def summary_row(target, n, cells, fmax, flip_flops, floor_flip_flops, floor_adder_bits):
    """The BENCHMARKS.md row of one point: figures over the seeds."""
    elements = statistics.median(fmax) * 1e6 * n    # one vector per cycle
    return (f"| {target} | {n} | {spread(cells, 0)} | "
            f"{statistics.median(cells) / floor_adder_bits:.2f} | "
            f"{flip_flops:,} ({floor_flip_flops:,}) | {spread(fmax)} | "
            f"{elements / 1e9:.1f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=lambda t: [int(s) for s in t.split(",")],
                        default=[1, 2, 3])
    parser.add_argument("--points", type=lambda t: [point(p) for p in t.split(",")],
                        default=POINTS)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nomul-synth-"))
    print(f"{'target':<9} {'n':>4} {'seed':>4} {'logic':>7} {'carry':>6} {'FFs':>6} "
          f"{'floor FFs':>9} {'adder bits':>10} {'cells/adder bit':>15} {'Fmax MHz':>9} "
          f"{'seconds':>8}")
    rows = []
    for target, n in args.points:
        design = parse_design({"name": f"fwht{n}", "n": n, "input_width": 8, "stage": [
            {"kind": "fwht", "overflow": "wrap", "width": 12, "register": 1}]})
        runs = []
        for seed in args.seeds:
            try:
                r = synthesize(design, target, seed=seed, work=work / f"{target}-{n}-{seed}",
                               progress=lambda line: None)
            except ToolError as error:
                print(f"{target:<9} {n:>4} {seed:>4} {error}")
                continue
            c = r.cells
            if c.not_placed:
                print(f"{target:<9} {n:>4} {seed:>4} {c.not_placed}")
                continue
            runs.append(r)
            print(f"{target:<9} {n:>4} {seed:>4} {c.logic_cells:>7} {c.carry_cells:>6} "
                  f"{c.flip_flops:>6} {r.floor_flip_flops:>9} {r.floor_adder_bits:>10} "
                  f"{c.logic_cells / r.floor_adder_bits:>15.2f} {c.fmax_mhz:>9} "
                  f"{r.seconds:>8}", flush=True)
        if not runs:
            rows.append(f"| {target} | {n} | does not fit or failed | | | | |")
            continue
        first = runs[0]
        rows.append(summary_row(target, n, [r.cells.logic_cells for r in runs],
                                [r.cells.fmax_mhz for r in runs], first.cells.flip_flops,
                                first.floor_flip_flops, first.floor_adder_bits))
    print("up5k figures have the I/O harness subtracted (logic cells approximately).")
    write_report(args.seeds, rows)


def write_report(seeds, rows):
    """The section "FWHT synthesis" of BENCHMARKS.md, from :func:`summary_row` rows."""
    write_section("synth_fwht", "FWHT synthesis (bench/synth_fwht.py)", "\n".join([
        "Wrap FWHT, 8-bit inputs, width 12, a register after every level, out of context "
        "(up5k: I/O harness subtracted, logic cells approximately); placement seeds "
        f"{', '.join(map(str, seeds))}: median (range). Elements per second: median Fmax "
        "x n (one vector per cycle).", "",
        "| target | n | logic cells | cells per floor adder bit | flip-flops (floor) | "
        "Fmax MHz | 10^9 elements/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |", *rows]))

if __name__ == "__main__":
    main()
