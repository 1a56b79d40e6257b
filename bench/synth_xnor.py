"""Benchmark: a 256-input, 16-neuron xnor_popcount (popcount result, seeded weights,
a register after every tree level) after synthesis for iCE40 (up5k) and ECP5 (85k):
logic cells and flip-flops per input bit against the adder-tree floor.

The design is sign -> xnor_popcount on 2-bit inputs, so its input is 256 bits; the
sign stage costs nothing but wires (and inverters that fold into the XNORs).

Run: .venv/bin/python bench/synth_xnor.py

Measured figures (LUTs, carry cells, flip-flops) are yosys's; on the UP5K the design
(with its I/O harness) does not fit, so logic cells after placement and Fmax are given
only where nextpnr placed it.
"""

import tempfile
from pathlib import Path

from nomul.boards.synth import ToolError, synthesize
from nomul.design import parse_design
from nomul.resources import floor

INPUTS, NEURONS = 256, 16


def main():
    design = parse_design({"name": "xnor256x16", "n": INPUTS, "input_width": 2, "stage": [
        {"kind": "sign"},
        {"kind": "xnor_popcount", "outputs": NEURONS, "seed": 1, "result": "popcount"}]})
    flip_flops, adder_bits, _ = floor(design)
    print(f"{design.name}: {INPUTS} input bits, {NEURONS} neurons, latency {design.latency}; "
          f"floor: {adder_bits} adder bits ({adder_bits / INPUTS:.1f} per input bit), "
          f"{flip_flops} flip-flops ({flip_flops / INPUTS:.2f} per input bit)")
    work = Path(tempfile.mkdtemp(prefix="nomul-xnor-"))
    for target in ("up5k", "ecp5-85k"):
        try:
            r = synthesize(design, target, work=work / target, progress=lambda line: None)
        except ToolError as error:
            print(f"{target}: {error}")
            continue
        c = r.cells
        placed = (f"{c.logic_cells} logic cells after placement, Fmax {c.fmax_mhz} MHz"
                  if c.logic_cells else f"not placed: {c.not_placed}")
        print(f"{target:<9} yosys: LUT4 {c.luts} ({c.luts / INPUTS:.1f} per input bit), "
              f"carry cells {c.carry_cells} ({c.carry_bits} adder bits, "
              f"{c.carry_bits / INPUTS:.1f} per input bit), flip-flops {c.flip_flops} "
              f"({c.flip_flops / INPUTS:.2f} per input bit), DSP {c.dsp}; {placed}", flush=True)


if __name__ == "__main__":
    main()
