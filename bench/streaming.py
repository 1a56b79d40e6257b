"""Benchmark: streaming forms (parallelism p < n) against the fully parallel form.

For a wrap FWHT (8-bit inputs, width 12) and an HD block (sign flip, grow FWHT, sign) at
n = 256, 1024, 4096 and p = 1, 4, 16 (with --parallel also p = n for n <= 256: larger
fully parallel transforms fit neither device), placed and routed out of context on up5k
and ecp5-85k: logic cells, flip-flops, block RAM, Fmax (seed 1) and vectors per second
(Fmax / interval). Points that do not fit say so.

Run: .venv/bin/python bench/streaming.py [--n 256,1024] [--p 1,4] [--target up5k]
     [--design fwht,hd] [--parallel]
"""

import argparse
import tempfile
from pathlib import Path

from nomul.boards.synth import ToolError, synthesize
from nomul.design import DesignError, parse_design


def design(kind, n, p):
    if kind == "fwht":
        stages = [{"kind": "fwht", "width": 12}]
    else:
        stages = [{"kind": "signflip", "seed": 7}, {"kind": "fwht", "overflow": "grow"},
                  {"kind": "sign"}]
    return parse_design({"name": f"{kind}{n}_p{p}", "n": n, "input_width": 8,
                         "parallelism": p, "stage": stages})


def numbers(text):
    return [int(v) for v in text.split(",")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=numbers, default=[256, 1024, 4096])
    parser.add_argument("--p", type=numbers, default=[1, 4, 16])
    parser.add_argument("--target", type=lambda t: t.split(","), default=["up5k", "ecp5-85k"])
    parser.add_argument("--design", type=lambda t: t.split(","), default=["fwht", "hd"])
    parser.add_argument("--parallel", action="store_true",
                        help="also the fully parallel form (p = n) for n <= 256")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nomul-streaming-"))
    print(f"{'design':<7} {'target':<9} {'n':>5} {'p':>5} {'logic':>7} {'FFs':>6} "
          f"{'BRAM':>5} {'Fmax MHz':>9} {'interval':>8} {'vectors/s':>11} {'seconds':>8}")
    for kind in args.design:
        for target in args.target:
            for n in args.n:
                for p in args.p + ([n] if args.parallel and n <= 256 else []):
                    if p > n:
                        continue
                    head = f"{kind:<7} {target:<9} {n:>5} {p:>5}"
                    try:
                        d = design(kind, n, p)
                        r = synthesize(d, target, seed=args.seed,
                                       work=work / f"{d.name}-{target}",
                                       progress=lambda line: None)
                    except (DesignError, ToolError) as error:
                        print(f"{head} {error}", flush=True)
                        continue
                    c = r.cells
                    if c.not_placed:
                        print(f"{head} {c.not_placed}", flush=True)
                        continue
                    rate = c.fmax_mhz * 1e6 / d.interval if c.fmax_mhz else 0
                    print(f"{head} {c.logic_cells:>7} {c.flip_flops:>6} {c.bram:>5} "
                          f"{c.fmax_mhz:>9} {d.interval:>8} {rate:>11,.0f} {r.seconds:>8}",
                          flush=True)
    print("up5k figures have the I/O harness subtracted (logic cells approximately).")


if __name__ == "__main__":
    main()
