"""Bitstreams for open boards, built by amaranth-boards with the YoWASP tools, with the
place-and-route report: the design behind the board link (:mod:`.link`; boards with a
USB-UART) or under the self-test (:mod:`.selftest`; every board)."""

import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from amaranth import Elaboratable, Module
from amaranth.lib import io

from ..files import prepare_work_folder, write_files
from .platforms import BOARDS, toolchain_environment
from .link import DEFAULT_BAUD, LinkTop
from .selftest import SelfTest
from .synth import TARGETS, ToolError, explain_failure
from .uart import cycles_per_bit

__all__ = ["SelfTestTop", "LinkBoardTop", "BuildResult", "build_board", "MAX_SELFTEST_VECTORS",
           "SELFTEST_VECTORS", "IMAGES"]

IMAGES = ("link", "selftest")

# The golden model predicts the self-test checksum first: 35 s for a million vectors of
# binary_classifier on this project's machine.
MAX_SELFTEST_VECTORS = 1 << 20
SELFTEST_VECTORS = 4096


def _status_leds(m, platform, good, bad, busy, bits=None):
    """Drives the board's LEDs: a green one (or LED 0) from ``good``, a red one (or LED 1)
    from ``bad``, the blue one of an RGB LED from ``busy``; spare plain LEDs show
    ``bits``."""
    names = {name for name, _ in platform.resources}

    def output(port):
        buffer = io.Buffer("o", port)
        m.submodules += buffer
        return buffer.o

    if "rgb_led" in names:
        led = platform.request("rgb_led", 0, dir="-")
        m.d.comb += [output(led.g).eq(good), output(led.r).eq(bad), output(led.b).eq(busy)]
    elif "led_g" in names:
        m.d.comb += [output(platform.request("led_g", 0, dir="-")).eq(good),
                     output(platform.request("led_r", 0, dir="-")).eq(bad)]
    else:
        count = sum(1 for name, _ in platform.resources if name == "led")
        leds = [output(platform.request("led", i, dir="-")) for i in range(count)]
        m.d.comb += [leds[0].eq(good), leds[1].eq(bad)]
        if bits is not None:
            m.d.comb += [led.eq(bits[i]) for i, led in enumerate(leds[2:])]


class SelfTestTop(Elaboratable):
    """The self-test on a board: a green LED (or LED 0) lights when the checksum matches
    the golden model's, a red one (or LED 1) when it does not; spare LEDs show the low
    bits of the checksum, the blue one of an RGB LED shows that it is still running."""

    def __init__(self, design, vectors):
        self.selftest = SelfTest(design, vectors)

    def elaborate(self, platform):
        m = Module()
        m.submodules.selftest = test = self.selftest
        _status_leds(m, platform, test.passed, test.done & ~test.passed, ~test.done,
                     test.checksum)
        return m


class LinkBoardTop(Elaboratable):
    """The design behind the board link (:class:`.link.LinkTop`) on the board's USB-UART:
    the green LED (or LED 0) lights while the link is busy, the red one (or LED 1) once a
    frame was dropped."""

    def __init__(self, design, clock_hz, baud):
        self.link = LinkTop(design, clock_hz, baud)

    def elaborate(self, platform):
        m = Module()
        m.submodules.link = link = self.link
        uart = platform.request("uart", 0, dir="-")
        m.submodules.uart_rx = rx = io.Buffer("i", uart.rx)
        m.submodules.uart_tx = tx = io.Buffer("o", uart.tx)
        m.d.comb += [link.rx.eq(rx.i), tx.o.eq(link.tx)]
        _status_leds(m, platform, ~link.idle, link.error_seen, 0)
        return m


@dataclass
class BuildResult:
    design: str
    board: str
    image: str
    bitstream: str
    baud: int | None                # link images
    vectors: int | None             # self-test images
    expected_checksum: str | None
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


def default_image(board):
    return "link" if board.uart else "selftest"


def _drop_carry_outs_before_nextpnr(script, netlist):
    """Adds to Amaranth's ECP5 build ``script`` (a path; rewritten) the step that
    :func:`nomul.boards.synth.drop_unread_carry_outs` takes on yosys's ``netlist``
    before nextpnr, as ``nomul synth`` does (two logic cells fewer per adder)."""
    text = script.read_text()
    marker = '"$NEXTPNR_ECP5"'
    if marker not in text:
        raise ToolError(f"{script.name}: Amaranth's build script has no {marker} step to "
                        "put the carry fix before; is this the Amaranth version nomul "
                        "supports (0.5)?")
    step = (f"{shlex.quote(sys.executable)} -c 'import sys; from nomul.boards.synth import "
            f"drop_unread_carry_outs; drop_unread_carry_outs(sys.argv[1])' {netlist}\n")
    script.write_text(text.replace(marker, step + marker, 1))


def build_board(design, board_name, out_dir=None, vectors=SELFTEST_VECTORS, program=False,
                progress=print, image=None, baud=DEFAULT_BAUD):
    """Builds ``image`` (``"link"``, the default on boards with a USB-UART, or
    ``"selftest"``) of ``design`` for ``board_name`` (a key of :data:`BOARDS`) into
    ``out_dir``: the link at ``baud``, or the self-test of ``vectors`` vectors; flashes it
    with ``program`` (:func:`nomul.host.flash`, which raises ``FlashError``). Returns a :class:`BuildResult` and writes ``report.json``. Raises
    ``ValueError`` for an image or baud rate the board cannot take and
    :class:`ToolError` when a tool is missing or fails, or the design does not fit."""
    board = BOARDS[board_name]
    image = image or default_image(board)
    platform = board.platform()
    clock_hz = board.clock_hz
    if image == "link":
        if not board.uart:
            raise ValueError(f"the {board.name} has no USB-UART for the board link; build "
                             "its self-test image (--image selftest)")
        cycles_per_bit(clock_hz, baud)
    out_dir = prepare_work_folder(out_dir or Path("build") / "board" / f"{design.name}-{board.name}",
                                  "build folder")
    if program:
        from ..host import loader
        loader()                                    # names a missing openFPGALoader first
    if image == "selftest":
        progress(f"self-test: predicting the checksum of {vectors} vectors with the golden model")
        top = SelfTestTop(design, vectors)
    else:
        top = LinkBoardTop(design, clock_hz, baud)
    plan = platform.build(top, name=design.name, do_build=False,
                          nextpnr_opts=f"--report {design.name}_report.json")
    plan.extract(str(out_dir))
    if board.target.startswith("ecp5"):
        _drop_carry_outs_before_nextpnr(out_dir / f"{plan.script}.sh", f"{design.name}.json")
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
    report = json.loads((out_dir / f"{design.name}_report.json").read_text())
    family = "ice40" if board.target in ("up5k", "hx8k") else "ecp5"
    cells, available, ffs = _utilization(report, family)
    if ffs is None:   # iCE40: count the flip-flops in the netlist
        netlist = json.loads((out_dir / f"{design.name}.json").read_text())
        ffs = sum(1 for module in netlist["modules"].values()
                  for cell in module.get("cells", {}).values()
                  if cell["type"].startswith("SB_DFF"))
    fmax = next(iter(report.get("fmax", {}).values()), None)
    clock = clock_hz / 1e6
    result = BuildResult(
        design.name, board.name, image, str(out_dir / f"{design.name}.{board.bitstream}"),
        baud if image == "link" else None, vectors if image == "selftest" else None,
        f"{top.selftest.expected:08x}" if image == "selftest" else None, cells, available, ffs,
        round(fmax["achieved"], 2) if fmax else None, clock,
        round(time.perf_counter() - start, 1))
    write_files({out_dir / "report.json": json.dumps(asdict(result), indent=2) + "\n"},
                force=True)
    if program:
        from ..host import flash
        flash(result.bitstream, board.name, progress)
    return result
