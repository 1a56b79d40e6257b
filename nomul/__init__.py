"""nomul: generator of no-multiply hardware (sign flips, Walsh-Hadamard transforms, sign
activations, XNOR-popcount neurons, argmax) for open-toolchain FPGAs.

Start from :func:`nomul.design.load_design`; every view reads the design object it returns:
``nomul.hdl`` (Amaranth components), ``nomul.golden`` (numpy models), ``nomul.verilog``
(Verilog and manifest), ``nomul.sim`` (simulation against the golden models) and
``nomul.boards`` (synthesis and board builds).
"""
