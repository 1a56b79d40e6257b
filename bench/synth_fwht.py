"""Benchmark: a wrap FWHT with 12-bit width (8-bit inputs, a register after every level),
placed and routed out of context: n = 16, 64, 256 on ecp5-85k and n = 16, 32 on up5k,
each in both flow control forms (stall, credit) with three placement seeds.

Prints, per point, form and seed, logic cells, carry cells, flip-flops (and the floor),
block RAMs, logic cells per adder bit of the floor (one adder bit per needed output bit
per level) and Fmax; then the median and range over the seeds, and elements per second
(median Fmax x n: one vector per cycle), into the section "FWHT synthesis" of
BENCHMARKS.md. The credit form's output buffer is the block RAM column; its flip-flops
are the difference from the stall form's row.

Run: .venv/bin/python bench/synth_fwht.py [--seeds 1,2,3] [--points ecp5-85k:16,up5k:32]
     [--flows stall,credit]
"""

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import section_rows, spread, write_section  # noqa: E402

from nomul.boards.synth import ToolError, synthesize  # noqa: E402
from nomul.design import parse_design  # noqa: E402
from nomul.flow import FLOWS  # noqa: E402

POINTS = [("ecp5-85k", 16), ("ecp5-85k", 64), ("ecp5-85k", 256), ("up5k", 16), ("up5k", 32)]


def point(text):
    target, n = text.split(":")
    return target, int(n)


def summary_row(target, n, flow, cells, fmax, flip_flops, floor_flip_flops,
                floor_adder_bits, bram):
    """The BENCHMARKS.md row of one point in one flow form: figures over the seeds."""
    elements = statistics.median(fmax) * 1e6 * n    # one vector per cycle
    return (f"| {target} | {n} | {flow} | {spread(cells, 0)} | "
            f"{statistics.median(cells) / floor_adder_bits:.2f} | "
            f"{flip_flops:,} ({floor_flip_flops:,}) | {bram} | {spread(fmax)} | "
            f"{elements / 1e9:.1f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=lambda t: [int(s) for s in t.split(",")],
                        default=[1, 2, 3])
    parser.add_argument("--points", type=lambda t: [point(p) for p in t.split(",")],
                        default=POINTS)
    parser.add_argument("--flows", type=lambda t: t.split(","), default=list(FLOWS))
    args = parser.parse_args()
    for flow in args.flows:
        if flow not in FLOWS:
            parser.error(f"--flows: {flow!r} is not one of {', '.join(FLOWS)}")
    work = Path(tempfile.mkdtemp(prefix="nomul-synth-"))
    print(f"{'target':<9} {'n':>4} {'flow':>6} {'seed':>4} {'logic':>7} {'carry':>6} "
          f"{'FFs':>6} {'floor FFs':>9} {'BRAM':>4} {'adder bits':>10} "
          f"{'cells/adder bit':>15} {'Fmax MHz':>9} {'seconds':>8}")
    rows = []
    for target, n in args.points:
        for flow in args.flows:
            rows.append(measure(target, n, flow, args.seeds, work))
    print("up5k figures have the I/O harness subtracted (logic cells approximately).")
    write_report(args.seeds, rows)


def measure(target, n, flow, seeds, work):
    """Places and routes one point in one flow form with each seed; its summary row."""
    design = parse_design({"name": f"fwht{n}", "n": n, "input_width": 8, "flow": flow,
                           "stage": [{"kind": "fwht", "overflow": "wrap", "width": 12,
                                      "register": 1}]})
    runs = []
    for seed in seeds:
        where = f"{target:<9} {n:>4} {flow:>6} {seed:>4}"
        try:
            r = synthesize(design, target, seed=seed, work=work / f"{target}-{n}-{flow}-{seed}",
                           progress=lambda line: None)
        except ToolError as error:
            print(f"{where} {error}")
            continue
        c = r.cells
        if c.not_placed:
            print(f"{where} {c.not_placed}")
            continue
        runs.append(r)
        print(f"{where} {c.logic_cells:>7} {c.carry_cells:>6} {c.flip_flops:>6} "
              f"{r.floor_flip_flops:>9} {c.bram:>4} {r.floor_adder_bits:>10} "
              f"{c.logic_cells / r.floor_adder_bits:>15.2f} {c.fmax_mhz:>9} "
              f"{r.seconds:>8}", flush=True)
    if not runs:
        return f"| {target} | {n} | {flow} | does not fit or failed | | | | | |"
    first = runs[0]
    return summary_row(target, n, flow, [r.cells.logic_cells for r in runs],
                       [r.cells.fmax_mhz for r in runs], first.cells.flip_flops,
                       first.floor_flip_flops, first.floor_adder_bits, first.cells.bram)


def key(row):
    """``(target, n, flow)`` of a table row."""
    return tuple(cell.strip() for cell in row.split("|")[1:4])


def write_report(seeds, rows):
    """The section "FWHT synthesis" of BENCHMARKS.md, from :func:`summary_row` rows: the
    rows measured now replace those of the same point and form, the others stay."""
    measured = {key(row) for row in rows}
    kept = [row for row in section_rows("synth_fwht") if key(row) not in measured]
    order = {(target, str(n), flow): index for index, (target, n, flow) in enumerate(
        (t, n, f) for t, n in POINTS for f in FLOWS)}
    rows = sorted(kept + rows, key=lambda row: order.get(key(row), len(order)))
    write_section("synth_fwht", "FWHT synthesis (bench/synth_fwht.py)", "\n".join([
        "Wrap FWHT, 8-bit inputs, width 12, a register after every level, out of context "
        "(up5k: I/O harness subtracted, logic cells approximately); placement seeds "
        f"{', '.join(map(str, seeds))}: median (range). Elements per second: median Fmax "
        "x n (one vector per cycle). Flow: `stall` (every register waits on one stall "
        "signal) or `credit` (registers load every cycle into an output buffer in block "
        "RAM; its block RAMs are the block RAM column, its flip-flops the difference "
        "from the stall row).", "",
        "| target | n | flow | logic cells | cells per floor adder bit | "
        "flip-flops (floor) | block RAM | Fmax MHz | 10^9 elements/s |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |", *rows]))

if __name__ == "__main__":
    main()
