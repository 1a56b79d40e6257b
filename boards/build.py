"""Bitstreams for open boards: the design under the self-test (:mod:`.selftest`), built
by amaranth-boards with the YoWASP tools, with the place-and-route report."""

import json
import os
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from amaranth import Elaboratable, Module
from amaranth.lib import io
from amaranth.build.run import LocalBuildProducts

from ..files import prepare_work_folder, write_files
from .platforms import BOARDS, programmer_missing, toolchain_environment
from .selftest import SelfTest
from .synth import TARGETS, ToolError, explain_failure

__all__ = ["BoardTop", "BuildResult", "build_board", "MAX_SELFTEST_VECTORS"]

# The golden model predicts the self-test checksum first: 35 s for a million vectors of
# binary_classifier on this project's machine.
MAX_SELFTEST_VECTORS = 1 << 20


class BoardTop(Elaboratable):
    """The self-test on a board: a green LED (or LED 0) lights when the checksum matches
    the golden model's, a red one (or LED 1) when it does not; spare LEDs show the low
    bits of the checksum, the blue one of an RGB LED shows that it is still running."""

    def __init__(self, design, vectors):
        self.selftest = SelfTest(design, vectors)

    def elaborate(self, platform):
        m = Module()
        m.submodules.selftest = test = self.selftest
        names = {name for name, _ in platform.resources}

        def output(port):
            buffer = io.Buffer("o", port)
            m.submodules += buffer
            return buffer.o

        failed = test.done & ~test.passed
        if "rgb_led" in names:
            led = platform.request("rgb_led", 0, dir="-")
            m.d.comb += [output(led.g).eq(test.passed), output(led.r).eq(failed),
                         output(led.b).eq(~test.done)]
        elif "led_g" in names:
            m.d.comb += [output(platform.request("led_g", 0, dir="-")).eq(test.passed),
                         output(platform.request("led_r", 0, dir="-")).eq(failed)]
        else:
            count = sum(1 for name, _ in platform.resources if name == "led")
            leds = [output(platform.request("led", i, dir="-")) for i in range(count)]
            m.d.comb += [leds[0].eq(test.passed), leds[1].eq(failed)]
            m.d.comb += [led.eq(test.checksum[i]) for i, led in enumerate(leds[2:])]
        return m


@dataclass
class BuildResult:
    design: str
    board: str
    bitstream: str
    vectors: int
    expected_checksum: str
    logic_cells: int
    logic_cells_available: int
    flip_flops: int
    fmax_mhz: float | None
    clock_mhz: float
    seconds: float


def _utilization(report, family):
    used = report["utilization"]
    cells = "ICESTORM_LC" if family == "ice40" else "TRELLIS_COMB"
    ffs = used.get("TRELLIS_FF", {}).get("used") if family == "ecp5" else None
    return used[cells]["used"], used[cells]["available"], ffs


def build_board(design, board_name, out_dir=None, vectors=4096, program=False,
                progress=print):
    """Builds the self-test bitstream of ``design`` for ``board_name`` (a key of
    :data:`BOARDS`) into ``out_dir``; flashes it with ``program``. Returns a
    :class:`BuildResult` and writes ``report.json``. Raises :class:`ToolError` when a
    tool is missing or fails, or the design does not fit."""
    board = BOARDS[board_name]
    out_dir = prepare_work_folder(out_dir or Path("build") / "board" / f"{design.name}-{board.name}",
                                  "build folder")
    if program:
        missing = programmer_missing(board)
        if missing:
            raise ToolError(missing)
    platform = board.platform()
    progress(f"self-test: predicting the checksum of {vectors} vectors with the golden model")
    top = BoardTop(design, vectors)
    plan = platform.build(top, name=design.name, do_build=False,
                          nextpnr_opts=f"--report {design.name}_report.json")
    plan.extract(str(out_dir))
    start = time.perf_counter()
    log = out_dir / "build.log"
    progress(f"building for {board.description} in {out_dir} (yosys, nextpnr, pack; "
             f"log: {log.name}) ...")
    with open(log, "w") as output:
        status = subprocess.run(["sh", f"{plan.script}.sh"], cwd=out_dir, stdout=output,
                                stderr=subprocess.STDOUT,
                                env={**os.environ, **toolchain_environment()}).returncode
    if status != 0:
        raise ToolError(f"building for {board.name} failed: "
                        f"{explain_failure(log, TARGETS[board.target], out_dir / f'{design.name}.tim')} "
                        f"(log: {log})")
    progress(f"built in {time.perf_counter() - start:.0f} s")
    products = LocalBuildProducts(str(out_dir))
    report = json.loads((out_dir / f"{design.name}_report.json").read_text())
    family = "ice40" if board.target in ("up5k", "hx8k") else "ecp5"
    cells, available, ffs = _utilization(report, family)
    if ffs is None:   # iCE40: count the flip-flops in the netlist
        netlist = json.loads((out_dir / f"{design.name}.json").read_text())
        ffs = sum(1 for module in netlist["modules"].values()
                  for cell in module.get("cells", {}).values()
                  if cell["type"].startswith("SB_DFF"))
    fmax = next(iter(report.get("fmax", {}).values()), None)
    clock = platform.lookup(platform.default_clk).clock.frequency / 1e6
    result = BuildResult(
        design.name, board.name, str(out_dir / f"{design.name}.{board.bitstream}"), vectors,
        f"{top.selftest.expected:08x}", cells, available, ffs,
        round(fmax["achieved"], 2) if fmax else None, clock,
        round(time.perf_counter() - start, 1))
    write_files({out_dir / "report.json": json.dumps(asdict(result), indent=2) + "\n"},
                force=True)
    if program:
        progress(f"programming the {board.name} with {board.programmer} ...")
        platform.toolchain_program(products, design.name)
    return result
