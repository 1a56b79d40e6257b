"""Benchmark: a wrap FWHT with 12-bit width (8-bit inputs, a register after every level),
placed and routed out of context: n = 16, 64, 256 on ecp5-85k and n = 16, 32 on up5k.

Prints logic cells, carry cells, flip-flops, Fmax (seed 1) and logic cells per adder bit
of the floor (one adder bit per needed output bit per level).

Run: .venv/bin/python bench/synth_fwht.py [--seed 1]
"""

import argparse
import tempfile
from pathlib import Path

from nomul.boards.synth import ToolError, synthesize
from nomul.design import parse_design

POINTS = [("ecp5-85k", 16), ("ecp5-85k", 64), ("ecp5-85k", 256), ("up5k", 16), ("up5k", 32)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nomul-synth-"))
    print(f"{'target':<9} {'n':>4} {'logic':>7} {'carry':>6} {'FFs':>6} {'floor FFs':>9} "
          f"{'adder bits':>10} {'cells/adder bit':>15} {'Fmax MHz':>9} {'seconds':>8}")
    for target, n in POINTS:
        design = parse_design({"name": f"fwht{n}", "n": n, "input_width": 8, "stage": [
            {"kind": "fwht", "overflow": "wrap", "width": 12, "register": 1}]})
        try:
            r = synthesize(design, target, seed=args.seed, work=work / f"{target}-{n}",
                           progress=lambda line: None)
        except ToolError as error:
            print(f"{target:<9} {n:>4} {error}")
            continue
        c = r.cells
        if c.not_placed:
            print(f"{target:<9} {n:>4} {c.not_placed}")
            continue
        print(f"{target:<9} {n:>4} {c.logic_cells:>7} {c.carry_cells:>6} {c.flip_flops:>6} "
              f"{r.floor_flip_flops:>9} {r.floor_adder_bits:>10} "
              f"{c.logic_cells / r.floor_adder_bits:>15.2f} {c.fmax_mhz:>9} {r.seconds:>8}",
              flush=True)
    print("up5k figures have the I/O harness subtracted (logic cells approximately).")


if __name__ == "__main__":
    main()
