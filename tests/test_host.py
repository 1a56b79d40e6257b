"""The host side of the board link (nomul/host.py) and its frames (nomul/protocol.py)
against docs/link.md: frames checked with independent CRC and COBS references; the host
against a pure-Python fake board (tests/fake_board.py) over an in-memory port with a
simulated clock, under dropped, corrupted, lost and repeated bytes and frames and a board
reset; a real serial port on a pseudo-terminal; and the commands nomul run and flash."""

import random
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from cobs import cobs

from fake_board import FakeBoard, FakePort, PtyBoard
from nomul import protocol
from nomul.cli import main
from nomul.design import load_design
from nomul.golden.functional import run
from nomul.host import GIVE_UP, Link, LinkError, PortError, compare, open_port, report

EXAMPLES = Path(__file__).parent.parent / "examples"
HD = EXAMPLES / "hd_block64.toml"
DESIGNS = ["hd_block64", "hd_classifier64_stream", "binary_classifier", "fwht16_wrap"]


def design(name="hd_block64"):
    return load_design(EXAMPLES / f"{name}.toml")


def vectors(d, count, seed=1):
    half = 1 << (d.input_width - 1)
    return np.random.default_rng(seed).integers(-half, half, (count, d.n))


def fails(capsys, argv, message, status=2):
    assert main(argv) == status
    assert capsys.readouterr().err == f"nomul: error: {message}\n"


# --- frames -------------------------------------------------------------------------------

def ref_crc32(data):
    """CRC-32/ISO-HDLC bit by bit: reflected polynomial 0x04C11DB7, init and final XOR
    0xFFFFFFFF."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xEDB88320 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def ref_cobs_encode(data):
    """COBS as docs/link.md states it: each code byte gives the distance to the next
    zero; a run of 254 non-zero bytes is closed by 0xFF with no implied zero."""
    out, block = bytearray(), bytearray()
    for byte in data:
        if byte == 0:
            out += bytes([len(block) + 1]) + block
            block = bytearray()
            continue
        block.append(byte)
        if len(block) == 254:
            out += b"\xff" + block
            block = bytearray()
    return bytes(out + bytes([len(block) + 1]) + block)


def payloads(seed=5):
    rng = random.Random(seed)
    cases = [b"", b"\0", b"\0" * 300, bytes(range(1, 256)), b"\1" * 253, b"\1" * 254,
             b"\1" * 255, b"\1" * 508, b"\7" * 254 + b"\0" + b"\7" * 254]
    for _ in range(200):
        size = rng.choice([rng.randrange(20), rng.randrange(250, 260), rng.randrange(600)])
        zeros = rng.random()
        cases.append(bytes(0 if rng.random() < zeros else rng.randrange(1, 256)
                           for _ in range(size)))
    return cases


def test_crc_is_crc32_iso_hdlc():
    assert zlib.crc32(b"123456789") == protocol.crc32(b"123456789") == 0xCBF43926
    assert ref_crc32(b"123456789") == 0xCBF43926
    for data in payloads()[:60]:
        assert protocol.crc32(data) == ref_crc32(data)
        body = protocol.body(protocol.VECTORS, 7, data)
        assert protocol.crc32(body) == 0x2144DF1C          # every correct body's residue


def test_crc_agrees_with_the_crc_package():
    import crc
    calculator = crc.Calculator(crc.Crc32.CRC32)
    assert calculator.checksum(b"123456789") == 0xCBF43926
    for data in payloads()[:20]:
        assert calculator.checksum(data) == protocol.crc32(data)


def test_body_layout_is_the_documented_one():
    payload = bytes(range(10))
    body = protocol.body(protocol.RESULTS, 0x1234, payload)
    assert body[:5] == bytes([0x82, 0x34, 0x12, 10, 0])
    assert body[5:15] == payload
    assert body[15:] == struct.pack("<I", zlib.crc32(body[:15]))


def test_stuffing_round_trips_and_matches_the_reference():
    for k, payload in enumerate(payloads()):
        line = protocol.encode(protocol.VECTORS, k, payload)
        assert line[0] == 0 and line[-1] == 0 and 0 not in line[1:-1], k
        body = protocol.body(protocol.VECTORS, k, payload)
        assert line[1:-1] == ref_cobs_encode(body) == cobs.encode(body), k
        frame = protocol.decode(line[1:-1])
        assert (frame.type, frame.seq, frame.payload) == (protocol.VECTORS, k, payload)


@pytest.mark.parametrize("damage, reason", [
    (lambda line: line[:7] + bytes([line[7] ^ 0x10]) + line[8:], "crc_errors"),
    (lambda line: bytes([200]) + line[1:], "malformed"),             # code past the end
    (lambda line: line[:-6], "malformed"),                            # cut short
    (lambda line: cobs.encode(b"\x02\0\0"), "malformed")])            # shorter than 9
def test_damaged_frames_are_dropped_with_a_reason(damage, reason):
    line = protocol.encode(protocol.VECTORS, 3, bytes(range(1, 40)), lead=False)[:-1]
    with pytest.raises(protocol.FrameError) as error:
        protocol.decode(damage(line))
    assert error.value.reason == reason


def test_splitter_resynchronises_and_cuts_long_frames():
    good = protocol.encode(protocol.NAK, 1, b"\1\0\0")
    splitter = protocol.FrameSplitter(limit=40)
    frames = splitter.feed(b"\x05garbage" + good[:6]) + splitter.feed(good[6:] + b"\x07" * 50
                                                                      + good)
    assert [protocol.decode(f) if f else None for f in frames[1:]] == \
        [protocol.Frame(protocol.NAK, 1, b"\1\0\0"), None,
         protocol.Frame(protocol.NAK, 1, b"\1\0\0")]


# --- the host against the fake board ------------------------------------------------------

def link_run(d, x, timeout=None, **faults):
    board = FakeBoard(d, next_seq=faults.pop("next_seq", 0))
    port = FakePort(board, seed=faults.pop("seed", 3), **faults)
    result = Link(port, clock=port.now).run(d, x, timeout=timeout)
    assert port.overruns == 0          # never more bytes out than the board's FIFO holds
    return result, board, port


@pytest.mark.parametrize("name", DESIGNS)
def test_clean_run_gives_the_golden_results(name):
    d = design(name)
    x = vectors(d, 37)
    result, board, _ = link_run(d, x)
    assert np.array_equal(result.results, run(d, x))
    frames = -(-37 // protocol.LinkParams.of(d).vectors_per_frame)
    assert (result.frames, result.frames_sent, result.retransmissions) == (frames, frames, 0)
    assert (result.naks, result.timeouts, result.resets, result.duplicates) == (0, 0, 0, 0)
    assert result.board_counters == dict.fromkeys(protocol.COUNTERS, 0) | {"frames": frames + 1}
    assert compare(d, x, result.results).ok and not result.interrupted


def test_frames_are_numbered_from_the_boards_next_seq_across_the_wrap():
    d = design()
    x = vectors(d, 40)                                  # 10 frames
    result, board, _ = link_run(d, x, next_seq=65531)
    assert np.array_equal(result.results, run(d, x))
    assert board.expected == (65531 + 10) % 65536


@pytest.mark.parametrize("faults, recovered", [
    (dict(drop=0.002), "retransmissions"),
    (dict(corrupt=0.002), "retransmissions"),
    (dict(lose=0.15), "timeouts"),
    (dict(repeat=0.3), "duplicates"),
    (dict(garble=0.15), "timeouts"),
    (dict(drop=0.001, corrupt=0.001, lose=0.05, repeat=0.05, garble=0.05), "naks")])
@pytest.mark.parametrize("seed", [1, 2])
def test_faults_are_recovered_from(faults, recovered, seed):
    d = design("hd_classifier64_stream")
    x = vectors(d, 120, seed)
    result, board, _ = link_run(d, x, seed=seed, **faults)
    assert np.array_equal(result.results, run(d, x)), (faults, seed)
    assert getattr(result, recovered) > 0, (faults, seed)


def test_garbled_replies_are_counted_by_reason():
    d = design()
    result, _, _ = link_run(d, vectors(d, 120), garble=0.2)
    assert result.link_errors["crc_errors"] + result.link_errors["malformed"] > 0
    assert result.board_counters["duplicates"] > 0        # answered again after a timeout


def test_a_lost_frame_is_sent_again_once_despite_a_storm_of_naks():
    d = design()                    # 3 frames fit the board's 1024-byte FIFO at once
    x = vectors(d, 40)
    result, board, _ = link_run(d, x, lose_writes={1})     # write 0 is IDENTIFY
    assert np.array_equal(result.results, run(d, x))
    assert (result.naks, result.retransmissions, result.timeouts) == (2, 3, 0)
    assert board.counters["duplicates"] == 0


def test_a_board_reset_mid_run_renumbers_and_sends_again():
    d = design()
    x = vectors(d, 80)              # 20 frames
    result, board, _ = link_run(d, x, next_seq=500, reset_after=7)
    assert np.array_equal(result.results, run(d, x))
    assert result.resets == 1
    assert board.expected == 20 - 7     # counted afresh from 0 after the reset
    assert result.counters_since_reset and result.board_counters["frames"] > 20 - 7


def test_a_board_of_another_design_is_refused():
    d, other = design("binary_classifier"), design("hd_block64")
    port = FakePort(FakeBoard(d, identity_design=other))
    with pytest.raises(LinkError, match="^the board on fake0 runs design hd_block64 "
                       rf"\(hash {other.digest[:8]}\.\.\.\), not binary_classifier \(hash "
                       rf"{d.digest[:8]}\.\.\.\): build and flash this design first$"):
        Link(port, clock=port.now).run(d, vectors(d, 4))


def test_nothing_answering_is_one_line():
    port = FakePort(None)
    with pytest.raises(LinkError, match=r"^no nomul board answers on fake0: 4 IDENTIFY "
                       r"frames went unanswered for 0\.5 s each; is the board connected "
                       r"and running a nomul board image\?$"):
        Link(port, clock=port.now).identify()


def test_a_device_that_is_not_a_nomul_board_is_named():
    board = FakeBoard(design())
    board.identity = lambda: b"hello, I am a modem\r\n"
    port = FakePort(board)
    with pytest.raises(LinkError, match="^the device on fake0 is not a nomul board: the "
                       "answer to IDENTIFY is not a nomul identity$"):
        Link(port, clock=port.now).identify()


def test_gives_up_after_20_timeouts_in_a_row():
    d = design()
    port = FakePort(FakeBoard(d), dead_after=3)
    with pytest.raises(LinkError, match=f"^the board on fake0 stopped answering: {GIVE_UP} "
                       "timeouts in a row, 12 of 100 vectors answered$") as error:
        Link(port, clock=port.now).run(d, vectors(d, 100), timeout=0.01)
    partial = error.value.result
    assert partial.timeouts == GIVE_UP and partial.received == 12
    assert 0.2 <= partial.seconds < 0.5     # 20 x (0.01 s and one poll) on the simulated clock
    assert np.array_equal(partial.results, run(d, vectors(d, 100))[:12])


def test_ctrl_c_stops_with_the_results_so_far():
    d = design()
    x = vectors(d, 100)
    port = FakePort(FakeBoard(d), interrupt_after=6)        # IDENTITY and 5 RESULTS
    result = Link(port, clock=port.now).run(d, x)
    assert result.interrupted and 0 < result.received < 100
    assert result.received % 4 == 0
    assert np.array_equal(result.results, run(d, x)[:result.received])
    assert result.board_counters is None
    lines = report(d, result, compare(d, x, result.results), "fake0")
    assert lines[0] == f"hd_block64 on fake0: {result.received} of 100 vectors compared " \
                       "with the golden model, 0 mismatches"


def test_compare_names_the_first_mismatches():
    d = design("fwht16_wrap")
    x = vectors(d, 10)
    got = run(d, x)
    got[3, 5] += 1
    got[7, :] = 0
    comparison = compare(d, x, got, first=3)
    expected = run(d, x)
    assert (comparison.compared, comparison.vectors) == (10, 2)
    assert comparison.elements == 1 + int((expected[7] != 0).sum())
    assert comparison.first[0] == (3, 5, int(expected[3, 5]), int(expected[3, 5]) + 1)
    assert [v for v, *_ in comparison.first] == [3, 7, 7]


# --- a real serial port -----------------------------------------------------------------

def test_a_real_serial_port_on_a_pseudo_terminal():
    d = design("binary_classifier")
    x = vectors(d, 60)
    with PtyBoard(FakeBoard(d)) as path, Link(open_port(path)) as link:
        result = link.run(d, x)
    assert np.array_equal(result.results, run(d, x))
    assert result.retransmissions == 0


def test_ports_that_cannot_be_opened(tmp_path):
    with pytest.raises(PortError, match=f"^{tmp_path}/none: cannot open the serial port: "
                                        "No such file or directory$"):
        open_port(tmp_path / "none")
    (tmp_path / "file").write_text("x")
    with pytest.raises(PortError, match="cannot open the serial port: not a serial port$"):
        open_port(tmp_path / "file")


# --- nomul run, flash, virtual-board ------------------------------------------------------

def test_run_bad_input(capsys, tmp_path):
    hd = str(HD)
    fails(capsys, ["run", hd],
          "the following arguments are required: --port (see 'nomul run --help')")
    fails(capsys, ["run", hd, "--port", "x", "--vectors", "0"],
          "--vectors 0: must be from 1 to 1048576")
    np.save(tmp_path / "x.npy", vectors(design(), 3))
    fails(capsys, ["run", hd, "--port", "x", "--in", str(tmp_path / "x.npy"),
                   "--vectors", "3"], "--in and --vectors: give input vectors from a file "
          "(--in) or random ones (--vectors, --seed), not both")
    fails(capsys, ["run", hd, "--port", "x", "--baud", "0"],
          "--baud 0: must be from 1200 to 12000000 (the rate the board image was built for)")
    fails(capsys, ["run", hd, "--port", "x", "--timeout", "0"],
          "--timeout 0: must be a number of seconds above 0 and at most 600")
    fails(capsys, ["run", hd, "--port", str(tmp_path / "none")],
          f"--port {tmp_path / 'none'}: cannot open the serial port: No such file or "
          "directory")


def run_on_pty(board, capsys, *extra):
    with PtyBoard(board) as path:
        status = main(["run", str(HD), "--port", path, *extra])
    captured = capsys.readouterr()
    return status, captured.out, captured.err, path


def test_run_compares_and_writes_the_results(capsys, tmp_path):
    d = design()
    out = tmp_path / "y.npy"
    status, stdout, stderr, path = run_on_pty(FakeBoard(d), capsys, "--vectors", "30",
                                              "--seed", "4", "--out", str(out))
    assert status == 0, stderr
    lines = stdout.splitlines()
    assert lines[0] == f"hd_block64 on {path}: 30 vectors compared with the golden model, " \
                       "0 mismatches"
    assert lines[1].startswith("link: 8 frames sent for 8 (0 retransmissions), 0 NAKs")
    assert lines[2] == "errors the host detected: 0 CRC errors, 0 malformed frames, " \
                       "0 frames too long"
    assert lines[3] == "board counters during the run: frames accepted 9, all others 0"
    assert lines[5] == f"wrote {out}: 30 vectors of 64 bits"
    half = 128
    x = np.random.default_rng(4).integers(-half, half, (30, 64))     # as nomul sim draws
    assert np.array_equal(np.load(out), run(d, x))


def test_run_takes_vectors_from_a_file(capsys, tmp_path):
    d = design()
    x = vectors(d, 6, seed=8)
    np.save(tmp_path / "x.npy", x.astype(np.int8))
    status, stdout, _, path = run_on_pty(FakeBoard(d), capsys, "--in",
                                         str(tmp_path / "x.npy"), "--out",
                                         str(tmp_path / "y.npy"))
    assert status == 0
    assert stdout.startswith(f"hd_block64 on {path}: 6 vectors compared with the golden "
                             "model, 0 mismatches\n")
    assert np.array_equal(np.load(tmp_path / "y.npy"), run(d, x))


def test_run_mismatch_is_exit_status_1(capsys):
    d = design()

    def wrong(x):
        y = run(d, x)
        y[:, 2] ^= 1
        return y

    status, stdout, _, _ = run_on_pty(FakeBoard(d, compute=wrong), capsys, "--vectors", "9")
    assert status == 1
    lines = stdout.splitlines()
    assert lines[0].endswith("9 vectors compared with the golden model, 9 mismatches "
                             "(9 elements)")
    assert len([line for line in lines if line.startswith("  mismatch: vector ")]) == 5
    assert lines[1].startswith("  mismatch: vector 0, element 2: expected ")


def test_run_on_a_board_of_another_design_is_exit_status_1(capsys):
    board = FakeBoard(design(), identity_design=design("fwht16_wrap"))
    status, stdout, stderr, path = run_on_pty(board, capsys)
    assert (status, stdout) == (1, "")
    assert stderr.count("\n") == 1 + stderr.count("running ")
    assert stderr.splitlines()[-1].startswith(f"nomul: error: the board on {path} runs "
                                              "design fwht16_wrap (hash ")


def test_flash_bad_input(capsys, tmp_path):
    fails(capsys, ["flash", str(tmp_path / "none.bin"), "--board", "icebreaker"],
          f"{tmp_path / 'none.bin'}: no such bitstream file")
    (tmp_path / "top.bit").write_bytes(b"\xff" * 16)
    fails(capsys, ["flash", str(tmp_path / "top.bit"), "--board", "icebreaker"],
          f"{tmp_path / 'top.bit'}: the icebreaker takes a .bin bitstream (from nomul build "
          "--board icebreaker), not .bit")
    fails(capsys, ["flash", str(tmp_path / "top.bit")],
          "the following arguments are required: --board (see 'nomul flash --help')")


def test_flash_without_a_board_is_one_line(capsys, tmp_path):
    bitstream = tmp_path / "top.bin"
    bitstream.write_bytes(b"\xff" * 16)
    status = main(["flash", str(bitstream), "--board", "icebreaker"])
    err = capsys.readouterr().err.splitlines()[-1]
    assert status == 1              # openFPGALoader 1.1 finds no FTDI cable
    assert err.startswith("nomul: error: cannot program the icebreaker: ")
    assert "not found" in err or "cable" in err


@pytest.mark.parametrize("script, status, message", [
    ("echo empty; echo 'Open file : DONE'; printf '\\033[31mError: cable claim failed\\033[0m\\n"
     "unable to open ftdi device: -3 (device not found)\\nJTAG init failed\\n' >&2; exit 1",
     1, "cannot program the ulx3s: unable to open ftdi device: -3 (device not found)"),
    ("echo 'Error: cannot find board' >&2; exit 1", 1,
     "cannot program the ulx3s: cannot find board"),
    ("exit 3", 1, "cannot program the ulx3s: openFPGALoader exited with status 3"),
    ("echo \"$0: error while loading shared libraries: libftdi1.so.2: cannot open shared "
     "object file: No such file or directory\" >&2; exit 127", 2,
     "openFPGALoader cannot start: the system library libftdi1.so.2 is missing (on Debian "
     "and Ubuntu: apt-get install libusb-1.0-0 libftdi1-2)")])
def test_flash_reports_the_loaders_error_in_one_line(script, status, message, capsys,
                                                     tmp_path, monkeypatch):
    loader = tmp_path / "openFPGALoader"
    loader.write_text(f"#!/bin/sh\n{script}\n")
    loader.chmod(0o755)
    monkeypatch.setattr("nomul.host.loader", lambda: str(loader))
    (tmp_path / "top.bit").write_bytes(b"\xff" * 16)
    assert main(["flash", str(tmp_path / "top.bit"), "--board", "ulx3s"]) == status
    assert capsys.readouterr().err.splitlines()[-1] == f"nomul: error: {message}"


def test_virtual_board_checks_its_arguments_then_serves(capsys, monkeypatch):
    hd = str(HD)
    fails(capsys, ["virtual-board", hd, "--faults", "0.2"],
          "argument --faults: must be a number from 0 to 0.1, not '0.2' "
          "(see 'nomul virtual-board --help')")
    fails(capsys, ["virtual-board", hd, "--seed", "-1"],
          "--seed -1: must be an integer from 0 to 2**64-1")
    calls = []
    from nomul.boards import virtual
    monkeypatch.setattr(virtual, "serve",
                        lambda design, **options: calls.append((design.name, options)))
    assert main(["virtual-board", hd, "--board", "ulx3s", "--faults", "0.01", "--seed",
                 "9"]) == 0
    (name, options), = calls
    assert name == "hd_block64" and callable(options.pop("progress"))
    assert options == dict(board="ulx3s", faults=0.01, seed=9, work=None, force=False)
