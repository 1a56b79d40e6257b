"""Benchmark: the time `nomul prove` takes against n, for an HD block (signflip, then a
wrap FWHT with a register after every level) at two input widths, and a binary layer
(sign, XNOR-popcount of n/2 neurons with thresholds, argmax).

Prints, per design: n, registers, latency, seconds (both tasks, SymbiYosys with
Boolector) and the result. Stops growing n for a family once a proof takes longer than
--limit seconds.

Run: .venv/bin/python bench/prove.py [--limit 120] [--max-n 64]
"""

import argparse
import tempfile
from pathlib import Path

from nomul.design import parse_design
from nomul.formal.harness import register_chain
from nomul.formal.prove import prove
from nomul.verilog import generate


def hd_block(n, input_width, width):
    return {"name": f"hd{n}_{input_width}b", "n": n, "input_width": input_width, "stage": [
        {"kind": "signflip", "seed": 1},
        {"kind": "fwht", "overflow": "wrap", "width": width, "register": 1}]}


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
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=120,
                        help="stop a family after a proof longer than this (seconds)")
    parser.add_argument("--max-n", type=int, default=64)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nomul-prove-"))
    print(f"{'design':<46} {'n':>4} {'registers':>9} {'latency':>7} {'seconds':>8}  result")
    for title, make in FAMILIES:
        n = 2
        while n <= args.max_n:
            design = parse_design(make(n))
            result = prove(design, generate(design)[0], work / design.name,
                           progress=lambda line: None)
            print(f"{title:<46} {n:>4} {len(register_chain(design)):>9} "
                  f"{design.latency:>7} {result.seconds:>8.1f}  {result.status}", flush=True)
            if result.seconds > args.limit:
                break
            n *= 2


if __name__ == "__main__":
    main()
