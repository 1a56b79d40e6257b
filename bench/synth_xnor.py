"""Benchmark: a 256-input, 16-neuron xnor_popcount (popcount result, seeded weights, a
register after every tree level), placed and routed out of context on ecp5-85k in both
flow control forms with three placement seeds.

The design is sign -> xnor_popcount on 2-bit inputs, so its input is 256 bits; the sign
stage costs nothing but wires (and inverters that fold into the XNORs). 256 x 16 = 4,096
synapses.

Prints, per flow form and seed, logic cells, LUT4s, carry cells, flip-flops (and the
floor), block RAMs, logic cells per synapse and Fmax; then the median and range over the
seeds, and synapses per second (median Fmax x 4,096: one vector per cycle), into the
section "XNOR-popcount synthesis" of BENCHMARKS.md. (The up5k, 5,280 logic cells, cannot
hold it.)

Run: .venv/bin/python bench/synth_xnor.py [--seeds 1,2,3] [--flows stall,credit]
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
from nomul.flow import FLOWS  # noqa: E402

INPUTS, NEURONS, TARGET = 256, 16, "ecp5-85k"
SYNAPSES = INPUTS * NEURONS


def xnor_design(flow):
    return parse_design({"name": "xnor256x16", "n": INPUTS, "input_width": 2, "flow": flow,
                         "stage": [{"kind": "sign"},
                                   {"kind": "xnor_popcount", "outputs": NEURONS, "seed": 1,
                                    "result": "popcount"}]})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=lambda t: [int(s) for s in t.split(",")],
                        default=[1, 2, 3])
    parser.add_argument("--flows", type=lambda t: t.split(","), default=list(FLOWS))
    args = parser.parse_args()
    for flow in args.flows:
        if flow not in FLOWS:
            parser.error(f"--flows: {flow!r} is not one of {', '.join(FLOWS)}")
    work = Path(tempfile.mkdtemp(prefix="nomul-xnor-"))
    print(f"{'flow':>6} {'seed':>4} {'logic':>7} {'LUT4':>6} {'carry':>6} {'FFs':>6} "
          f"{'floor FFs':>9} {'BRAM':>4} {'cells/synapse':>13} {'Fmax MHz':>9} "
          f"{'seconds':>8}")
    rows = [measure(flow, args.seeds, work) for flow in args.flows]
    write_section("synth_xnor", "XNOR-popcount synthesis (bench/synth_xnor.py)", "\n".join([
        f"sign -> xnor_popcount, {INPUTS} input bits x {NEURONS} neurons ({SYNAPSES:,} "
        "synapses), popcount result, a register after every level of the adder tree, "
        f"out of context on {TARGET}; placement seeds {', '.join(map(str, args.seeds))}: "
        "median (range). Synapses per second: median Fmax x synapses (one vector per "
        "cycle).", "",
        "| flow | logic cells | cells per synapse | LUT4 | carry cells | "
        "flip-flops (floor) | block RAM | Fmax MHz | 10^12 synapses/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |", *rows]))


def measure(flow, seeds, work):
    """Places and routes the design in one flow form with each seed; its summary row."""
    design = xnor_design(flow)
    runs = []
    for seed in seeds:
        where = f"{flow:>6} {seed:>4}"
        try:
            r = synthesize(design, TARGET, seed=seed, work=work / f"{flow}-{seed}",
                           progress=lambda line: None)
        except ToolError as error:
            print(f"{where} {error}")
            continue
        c = r.cells
        if c.not_placed:
            print(f"{where} {c.not_placed}")
            continue
        runs.append(r)
        print(f"{where} {c.logic_cells:>7} {c.luts:>6} {c.carry_cells:>6} {c.flip_flops:>6} "
              f"{r.floor_flip_flops:>9} {c.bram:>4} {c.logic_cells / SYNAPSES:>13.2f} "
              f"{c.fmax_mhz:>9} {r.seconds:>8}", flush=True)
    if not runs:
        return f"| {flow} | failed | | | | | | | |"
    cells = [r.cells.logic_cells for r in runs]
    fmax = [r.cells.fmax_mhz for r in runs]
    c = runs[0].cells    # yosys's counts do not depend on the placement seed
    return (f"| {flow} | {spread(cells, 0)} | {statistics.median(cells) / SYNAPSES:.2f} | "
            f"{c.luts:,} | {c.carry_cells:,} | {c.flip_flops:,} "
            f"({runs[0].floor_flip_flops:,}) | {c.bram} | {spread(fmax)} | "
            f"{statistics.median(fmax) * 1e6 * SYNAPSES / 1e12:.2f} |")


if __name__ == "__main__":
    main()
