"""The virtual board (boards/virtual.py, sim/virtual_board.cpp) and the Verilator build
plumbing (sim/verilated.py), with a stand-in for the link top: an echo of every UART
byte, whose counter of bytes since reset is readable (send QUERY), so that a reset is
seen from outside. One compile for the whole file."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import serial
from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from nomul.boards import virtual
from nomul.boards.platforms import BOARDS
from nomul.sim import verilated
from nomul.tools import ToolMissing

QUERY = 0xFE          # answered with the count of bytes received since reset, mod 256
CYCLES_PER_BIT = 8


class EchoStandIn(wiring.Component):
    """Echoes each byte received on ``rx`` on ``tx`` (8N1, ``cycles_per_bit``), except
    :data:`QUERY`, answered with the count of other bytes received since reset. A byte
    with a bad stop bit is dropped; the receiver then waits for the line to go high."""
    rx: In(1, init=1)
    tx: Out(1, init=1)
    idle: Out(1)

    def __init__(self, cycles_per_bit):
        self.cycles_per_bit = cycles_per_bit
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        period = self.cycles_per_bit
        rx_timer, rx_bits = Signal(range(period)), Signal(range(10))
        rx_shift = Signal(8)
        held, held_valid = Signal(8), Signal()
        count = Signal(8)
        tx_timer, tx_bits, tx_shift = Signal(range(period)), Signal(range(11)), Signal(10)

        # The transmitter takes the next byte on the cycle its stop bit ends, so that an
        # echo keeps up with bytes sent back to back. (The receiver's statements come
        # after, so a byte received on the cycle the last one is taken is kept.)
        load = Signal()
        with m.If(tx_bits == 0):
            m.d.comb += load.eq(held_valid)
        with m.Else():
            m.d.sync += tx_timer.eq(tx_timer - 1)
            with m.If(tx_timer == 0):
                m.d.sync += [tx_timer.eq(period - 1), tx_bits.eq(tx_bits - 1),
                             tx_shift.eq(tx_shift >> 1)]
                m.d.comb += load.eq((tx_bits == 1) & held_valid)
        with m.If(load):
            m.d.sync += [tx_shift.eq(Cat(0, held, 1)), tx_bits.eq(10),
                         tx_timer.eq(period - 1), held_valid.eq(0)]

        with m.FSM(name="rx_state") as rx_fsm:
            with m.State("IDLE"):
                with m.If(~self.rx):
                    m.d.sync += [rx_timer.eq(period // 2 - 1), rx_bits.eq(0)]
                    m.next = "BITS"
            with m.State("BITS"):
                m.d.sync += rx_timer.eq(rx_timer - 1)
                with m.If(rx_timer == 0):
                    m.d.sync += [rx_timer.eq(period - 1), rx_bits.eq(rx_bits + 1),
                                 rx_shift.eq(rx_shift >> 1 | self.rx << 7)]
                    with m.If((rx_bits == 0) & self.rx):
                        m.next = "IDLE"                     # a glitch
                    with m.If(rx_bits == 9):
                        with m.If(self.rx):
                            m.d.sync += held_valid.eq(1)
                            with m.If(rx_shift == QUERY):
                                m.d.sync += held.eq(count)
                            with m.Else():
                                m.d.sync += [held.eq(rx_shift), count.eq(count + 1)]
                            m.next = "IDLE"
                        with m.Else():
                            m.next = "WAIT_HIGH"
            with m.State("WAIT_HIGH"):
                with m.If(self.rx):
                    m.next = "IDLE"

        m.d.comb += [self.tx.eq(tx_shift[0] | (tx_bits == 0)),
                     self.idle.eq(rx_fsm.ongoing("IDLE") & self.rx & ~held_valid
                                  & (tx_bits == 0))]
        return m


def standin(design, clock_hz, baud):
    return EchoStandIn(CYCLES_PER_BIT)


@pytest.fixture(scope="module")
def executable(tmp_path_factory):
    """The stand-in's virtual board, compiled once: ``(executable, work folder)``."""
    work = tmp_path_factory.mktemp("virtual")
    built, cycles = virtual.build(None, work=work, make_top=standin)
    assert cycles == CYCLES_PER_BIT and not built.cached
    return built.executable, work


def talk(board, data, expect, timeout=20.0, quiet=1.0):
    """Writes ``data`` to the board's port and returns what came back: once ``expect``
    bytes have, or nothing for ``quiet`` seconds, or after ``timeout`` seconds."""
    with serial.Serial(board.port, timeout=0.02) as port:
        port.write(data)
        received, start = bytearray(), time.monotonic()
        last = start
        while len(received) < expect and time.monotonic() < start + timeout \
                and time.monotonic() < last + quiet:
            chunk = port.read(65536)
            if chunk:
                received += chunk
                last = time.monotonic()
        received += port.read(65536)
    return bytes(received)


def random_bytes(count, seed, frame=None):
    """Random bytes without QUERY; with ``frame``, 0x00 only after each ``frame`` bytes
    (delimiters, which end a fault's truncation)."""
    data = np.random.default_rng(seed).integers(1 if frame else 0, 256, count,
                                                dtype=np.uint8)
    data[data == QUERY] = 0x55
    if frame:
        data[frame::frame + 1] = 0
    return data.tobytes()


def test_echo_unchanged(executable):
    data = random_bytes(5000, 1)
    with virtual.VirtualBoard(executable[0], CYCLES_PER_BIT) as board:
        assert talk(board, data, len(data)) == data
        assert talk(board, bytes([QUERY]), 1) == bytes([5000 % 256])
    assert board.stats.from_host == 5001 and board.stats.to_host == 5001
    assert board.stats.resets == 0 and board.stats.reset_at is None
    assert sum(board.stats.faults["to_board"].values()) == 0
    assert board.stats.cycles >= 5001 * 10 * CYCLES_PER_BIT


def test_reset_reaches_the_design(executable):
    with virtual.VirtualBoard(executable[0], CYCLES_PER_BIT) as board:
        assert talk(board, b"abc" + bytes([QUERY]), 4) == b"abc\x03"
        board.reset()
        assert talk(board, bytes([QUERY]), 1) == b"\x00"
        assert talk(board, b"xy" + bytes([QUERY]), 3) == b"xy\x02"


def faulty_run(executable, seed, data):
    with virtual.VirtualBoard(executable[0], CYCLES_PER_BIT, faults=0.02,
                              seed=seed) as board:
        received = talk(board, data, len(data) * 2)    # until a second passes quietly
    return received, board.stats


def test_faults_are_injected_and_reproducible(executable):
    data = random_bytes(1500, 2, frame=15)   # fewer than the fault reset comes after
    first, stats = faulty_run(executable, 5, data)
    again, stats_again = faulty_run(executable, 5, data)
    other, stats_other = faulty_run(executable, 6, data)
    for direction, kinds in (("to_board", virtual.FAULT_KINDS),
                             ("to_host", virtual.FAULT_KINDS[:-1])):
        assert set(stats.faults[direction]) == set(kinds)
        assert all(stats.faults[direction][kind] > 0 for kind in kinds), stats
    assert first != data and stats.faults == stats_again.faults and first == again
    assert stats.faults != stats_other.faults and other != first
    assert stats.resets == 0 and virtual.RESET_RANGE[0] <= stats.reset_at \
        <= virtual.RESET_RANGE[1]


def test_faults_do_not_depend_on_how_bytes_are_split():
    data = random_bytes(20_000, 7, frame=30)
    whole = virtual._Faults(0.01, np.random.default_rng(1), virtual.FAULT_KINDS)
    split = virtual._Faults(0.01, np.random.default_rng(1), virtual.FAULT_KINDS)
    cuts = sorted(np.random.default_rng(2).integers(0, len(data), 300).tolist())
    pieces = []
    for start, end in zip([0] + cuts, cuts + [len(data)]):
        pieces += split.apply(data[start:end])
    assert virtual._commands(whole.apply(data)) == virtual._commands(pieces)
    assert whole.counts == split.counts and min(whole.counts.values()) > 20


def test_a_truncation_keeps_the_next_delimiter():
    faults = virtual._Faults(0.5, np.random.default_rng(3), ("truncate",))
    faults.next_fault = 2
    assert b"".join(d for _, d in faults.apply(b"\x01\x02\x03\x04")) == b"\x01\x02\x03"
    faults.next_fault = 10 ** 9
    assert b"".join(d for _, d in faults.apply(b"\x05\x00\x06")) == b"\x00\x06"
    assert faults.counts == {"truncate": 1}


def test_fault_reset_comes_once(executable):
    data = random_bytes(virtual.RESET_RANGE[1] + 10, 3)
    with virtual.VirtualBoard(executable[0], CYCLES_PER_BIT, faults=1e-12,
                              seed=4) as board:
        echoed = talk(board, data, len(data))
        counted = talk(board, bytes([QUERY]), 1)
    stats = board.stats
    assert stats.resets == 1 and sum(stats.faults["to_board"].values()) == 0
    # the echo loses the byte being sent back when the reset comes; the count restarts
    assert len(echoed) in (len(data), len(data) - 1)
    assert counted == bytes([(len(data) - stats.reset_at) % 256])
    assert "1 board reset" in stats.summary()


SERVE = """
import sys
sys.path.insert(0, {tests!r})
from nomul.boards import virtual
from nomul.boards.platforms import BOARDS
from test_virtual import standin
virtual._link_top = standin
sys.exit(virtual.serve(None, faults={faults}, work={work!r}, progress=print))
"""


def test_serve_prints_the_port_first_and_a_summary_at_the_end(executable):
    script = SERVE.format(tests=str(Path(__file__).parent), work=str(executable[1]),
                          faults=1e-12)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()
        assert first.startswith("port: /dev/pts/"), first + process.stderr.read()

        class Port:
            port = first.split()[1]

        assert talk(Port, b"hello", 5) == b"hello"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert out == "virtual board: 5 bytes from the host, 5 to the host; 0 board resets\n"
    assert err == ""


def test_build_is_cached(executable):
    built, cycles = virtual.build(None, work=executable[1], make_top=standin,
                                  progress=pytest.fail)
    assert built.cached and built.executable == executable[0] and cycles == CYCLES_PER_BIT


def test_missing_compiler_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissing, match=r"^compiling the virtual board with Verilator "
                       r"needs a C\+\+ compiler, make and perl, and c\+\+ is not installed: "
                       r"install the package build-essential \(apt-get install "
                       r"build-essential on Debian and Ubuntu\)$"):
        virtual.build(None, work=tmp_path / "work", make_top=standin)
    assert not (tmp_path / "work" / "verilated").exists()


def test_compile_error_is_one_line(tmp_path):
    source = tmp_path / "bad.v"
    source.write_text("module virtual_board(input clk, output tx);\n  assign tx = nosuch;\n"
                      "endmodule\n")
    with pytest.raises(verilated.BuildError, match=r"^Verilator could not build the test: "
                       r".*nosuch.*; see .*verilator\.log$") as error:
        verilated.build(source, "virtual_board", virtual.DRIVER, tmp_path, what="the test")
    assert "\n" not in str(error.value)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"^faults must be a probability from 0 up to 1, "
                                         r"not 1\.5$"):
        virtual.start(None, faults=1.5)
    names = ", ".join(BOARDS)
    with pytest.raises(ValueError, match=rf"^board must be one of {names}, not 'nosuch'$"):
        virtual.build(None, board="nosuch", make_top=standin)


def test_the_link_top_answers_the_host(tmp_path):
    """The real board image (nomul.boards.link) behind the virtual board, driven by
    nomul's host: every result is the golden model's."""
    from nomul.design import load_design
    from nomul.host import Link, compare, open_port
    design = load_design(Path(__file__).parent.parent / "examples" / "hd_block64.toml")
    vectors = np.random.default_rng(8).integers(-128, 128, (200, design.n))
    with virtual.start(design, work=tmp_path, progress=None) as board:
        with Link(open_port(board.port)) as link:
            result = link.run(design, vectors)
    assert result.retransmissions == 0 and result.timeouts == 0
    assert compare(design, vectors, result.results).ok
    assert board.stats.cycles > 200 * design.n * 10 * 12
