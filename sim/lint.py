"""Lint for generated Verilog: ``verilator --lint-only -Wall`` and Icarus at -g2005 and
-g2012. Every waived warning is named and justified here, and only here."""

import os
import subprocess
import tempfile
from pathlib import Path

from .cocotb_runner import verilator_setup

__all__ = ["WAIVERS", "lint", "write_waivers"]

# (rule, message pattern or None for every message of the rule, why it is waived).
# Every other -Wall warning (widths, undriven signals, latches, ...) fails the lint.
WAIVERS = [
    ("DECLFILENAME", None,
     "one file holds the top and its stage modules, named '<top>.<instance>'"),
    ("PROCASSINIT", None,
     "Amaranth gives every register an initial value equal to its reset value, so the "
     "FPGA powers up in the reset state; the synchronous reset sets it again"),
    ("WIDTHEXPAND", "*'s CONST *",
     "Amaranth writes unsigned constants with their minimal width (6'h20 for 32 beside a "
     "7-bit sum); Verilog zero-extends them, which keeps their value. Width mismatches "
     "between signals are still reported"),
    ("WIDTHEXPAND", "*Operator ADD expects * bits on the RHS, but RHS's SEL generates *",
     "Amaranth zero-extends an unsigned operand by writing it narrower into the Verilog "
     "sum, and Verilog zero-extends it the same way, which keeps its value: the running "
     "popcount of a folded XNOR-popcount adds each beat's narrower sum"),
    ("UNUSEDSIGNAL", None,
     "Amaranth keeps a named wire for every signal so that waveforms and cocotb can read "
     "it: taps ('level0'), port names inside stage modules, copies of ports "
     "('i__ready$9'), per-element views ('level0[3]'); these drive nothing. Bits dropped "
     "from temporaries ('$12') are the carries that wrap-around arithmetic discards"),
]


def write_waivers(path, waivers=WAIVERS):
    """Writes the Verilator control file of ``waivers`` to ``path`` (for builds too)."""
    from ..files import write_files
    write_files({path: _control_file(waivers)}, force=True)
    return Path(path)


def _control_file(waivers):
    lines = ["`verilator_config"]
    for rule, match, _ in waivers:
        lines.append(f"lint_off -rule {rule}" + (f' -file "*" -match "{match}"' if match else ""))
    return "\n".join(lines) + "\n"


def lint(verilog, waivers=WAIVERS):
    """Lints ``verilog`` (a path) with ``waivers`` (default :data:`WAIVERS`); returns the
    problems found, one string each."""
    verilog = Path(verilog)
    problems = []
    executable, env_additions = verilator_setup()
    env = {**os.environ, **env_additions}
    with tempfile.TemporaryDirectory() as work:
        control = Path(work) / "waivers.vlt"
        control.write_text(_control_file(waivers))
        result = subprocess.run([executable, "--lint-only", "-Wall", str(control), str(verilog)],
                                capture_output=True, text=True, env=env)
        if result.returncode != 0:
            problems += [line for line in result.stderr.splitlines() if line.startswith("%")]
        for standard in ("2005", "2012"):
            result = subprocess.run(["iverilog", f"-g{standard}", "-o", str(Path(work) / "a.vvp"),
                                     str(verilog)], capture_output=True, text=True)
            if result.returncode != 0 or result.stderr.strip():
                problems.append(f"iverilog -g{standard}: {result.stderr.strip()}")
    return problems
