"""Benchmark: the time `nomul prove` takes against n, for an HD block (signflip, then a
wrap FWHT with a register after every level) at two input widths, a binary layer
(sign, XNOR-popcount of n/2 neurons with thresholds, argmax), and the HD block in
streaming form (2 elements per beat: a beat-ROM sign flip, delay-feedback levels).

Prints, per design: n, the design's signals the harness reads, latency, seconds (both
tasks, SymbiYosys with Boolector) and the result. Stops growing n for a family once a
proof takes longer than --limit seconds.

Run: .venv/bin/python bench/prove.py [--limit 120] [--max-n 64]
"""

import argparse
import tempfile
from pathlib import Path

from nomul.design import parse_design
from nomul.formal.harness import harness
from nomul.formal.prove import prove
from nomul.verilog import generate


def hd_block(n, input_width, width):
    return {"name": f"hd{n}_{input_width}b", "n": n, "input_width": input_width, "stage": [
        {"kind": "signflip", "seed": 1},
        {"kind": "fwht", "overflow": "wrap", "width": width, "register": 1}]}


def streaming_hd_block(n):
    if n < 4:
        return None         # 2 lanes of 2 elements: the parallel form
    return {"name": f"shd{n}", "n": n, "input_width": 4, "parallelism": 2, "stage": [
        {"kind": "signflip", "seed": 1},
        {"kind": "fwht", "overflow": "wrap", "width": 6}]}


def binary_layer(n):
    outputs = max(2, n // 2)
    return {"name": f"layer{n}", "n": n, "input_width": 4, "stage": [
        {"kind": "sign"},
        {"kind": "xnor_popcount", "outputs": outputs, "seed": 3, "result": "popcount"},
        {"kind": "argmax"}]}


FAMILIES = [
    ("HD block, 4-bit in, 6-bit wrap", lambda n: hd_block(n, 4, 6)),
    ("HD block, 8-bit in, 12-bit wrap", lambda n: hd_block(n, 8, 12)),
    ("sign + XNOR-popcount (n/2 neurons) + argmax", binary_layer),
    ("HD block streaming 2 lanes, 4-bit in, 6-bit wrap", streaming_hd_block),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=120,
                        help="stop a family after a proof longer than this (seconds)")
    parser.add_argument("--max-n", type=int, default=64)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nomul-prove-"))
    print(f"{'design':<46} {'n':>4} {'signals':>9} {'latency':>7} {'seconds':>8}  result")
    for title, make in FAMILIES:
        n = 2
        while n <= args.max_n:
            table = make(n)
            if table is None:
                n *= 2
                continue
            design = parse_design(table)
            result = prove(design, generate(design)[0], work / design.name,
                           progress=lambda line: None)
            print(f"{title:<46} {n:>4} {len(harness(design, design.name).probes):>9} "
                  f"{design.latency:>7} {result.seconds:>8.1f}  {result.status}", flush=True)
            if result.seconds > args.limit:
                break
            n *= 2


if __name__ == "__main__":
    main()
