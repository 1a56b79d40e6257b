"""The board link's gateware against the host's implementation of the protocol
(nomul/protocol.py: the ``cobs`` package and zlib's CRC-32), in Amaranth's simulator."""

import random
import struct

import numpy as np
import pytest
from amaranth import Module
from amaranth.lib.memory import Memory
from amaranth.sim import Simulator
from cobs import cobs

from nomul import protocol
from nomul.boards.cobs import CobsDecoder, CobsEncoder
from nomul.boards.link import FrameReceiver, LinkTop
from nomul.boards.uart import UARTReceiver, UARTTransmitter, cycles_per_bit
from nomul.design import load_design
from nomul.golden.functional import run
from nomul.sim.line import receive_bytes, send_bytes

EXAMPLES = __import__("pathlib").Path(__file__).parent.parent / "examples"


def simulate(dut, *benches, deadline=None):
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    for bench in benches:
        sim.add_testbench(bench)
    sim.run_until(deadline) if deadline else sim.run()


@pytest.mark.parametrize("period", [8, 12, 25])
@pytest.mark.parametrize("rate", [0.97, 1.0, 1.03])
def test_uart_receiver_takes_a_sender_three_percent_off(period, rate):
    rng = random.Random(period * 100 + int(rate * 100))
    data = bytes(rng.randrange(256) for _ in range(60)) + b"\x00\xff\x55\xaa"
    dut = UARTReceiver(period)
    got, errors = bytearray(), []

    async def sender(ctx):
        await ctx.tick().repeat(5)
        await send_bytes(ctx, dut.line, data, period, rate)
        await ctx.tick().repeat(2 * period)         # the last stop bit's middle is seen

    async def watcher(ctx):
        async for _, _, done, error, byte in ctx.tick().sample(dut.done, dut.error, dut.data):
            if done:
                got.append(byte)
            if error:
                errors.append(len(got))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(sender)
    sim.add_testbench(watcher, background=True)
    sim.run()
    assert errors == [] and bytes(got) == data


def test_uart_receiver_flags_a_bad_stop_bit_and_recovers():
    period, dut = 8, UARTReceiver(8)
    got, errors = bytearray(), []

    async def sender(ctx):
        await send_bytes(ctx, dut.line, b"\x12", period, stop_bit=0)
        await ctx.tick().repeat(3 * period)                  # a short break
        await send_bytes(ctx, dut.line, b"\x34\x56", period)
        await ctx.tick().repeat(2 * period)

    async def watcher(ctx):
        async for _, _, done, error, byte in ctx.tick().sample(dut.done, dut.error, dut.data):
            got.extend([byte] if done else [])
            errors.extend([1] if error else [])

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(sender)
    sim.add_testbench(watcher, background=True)
    sim.run()
    assert bytes(got) == b"\x34\x56" and errors == [1]


def test_uart_transmitter_sends_back_to_back_bytes():
    period, dut = 9, UARTTransmitter(9)
    data = bytes(range(0, 256, 7))
    received = []

    async def source(ctx):
        for byte in data:
            ctx.set(dut.i.payload, byte)
            ctx.set(dut.i.valid, 1)
            await ctx.tick().until(dut.i.ready)
        ctx.set(dut.i.valid, 0)

    async def sink(ctx):
        received.append(await receive_bytes(ctx, dut.line, period, len(data),
                                            timeout=20 * period * len(data)))

    simulate(dut, source, sink)
    assert received == [data]


def test_baud_rates_a_clock_can_carry():
    assert cycles_per_bit(12_000_000, 1_000_000) == 12
    assert cycles_per_bit(25_000_000, 1_000_000) == 25
    with pytest.raises(ValueError, match=r"^baud 3000000: a 12 MHz clock carries at most "
                                         r"1500000 baud \(8 cycles per bit\)$"):
        cycles_per_bit(12_000_000, 3_000_000)
    with pytest.raises(ValueError, match=r"^baud 2900000: a 25 MHz clock gives 2777778 baud "
                                         r"at 9 cycles per bit, 4.2% off; choose a baud rate "
                                         r"within 1 % of 25 MHz divided by a whole number$"):
        cycles_per_bit(25_000_000, 2_900_000)


def random_frames(seed, count):
    """Bodies rich in zeros and in long runs without them (the COBS corner cases)."""
    rng = random.Random(seed)
    frames = [b"\x00", b"\x01" * 254, b"\x01" * 255, b"\x01" * 253 + b"\x00",
              b"\x00" * 3, b"\x05" * 508, b"\x07" * 254 + b"\x00" + b"\x07" * 254]
    for _ in range(count):
        kind = rng.randrange(3)
        length = rng.randrange(1, 600)
        if kind == 0:
            frames.append(bytes(rng.randrange(256) for _ in range(length)))
        elif kind == 1:
            frames.append(bytes(rng.choice([0, rng.randrange(1, 256)]) for _ in range(length)))
        else:
            frames.append(bytes(rng.randrange(1, 256) for _ in range(length)))
    return frames


def test_cobs_decoder_undoes_the_cobs_package():
    frames = random_frames(1, 20)
    line = b"".join(cobs.encode(frame) + b"\0" for frame in frames) + b"\x03\x01\0"
    dut = CobsDecoder()
    decoded, current = [], bytearray()
    rng = random.Random(2)

    async def source(ctx):
        for byte in line:
            while rng.random() < 0.2:               # idle cycles
                ctx.set(dut.i.valid, 0)
                await ctx.tick()
            ctx.set(dut.i.payload, byte)
            ctx.set(dut.i.valid, 1)
            await ctx.tick().until(dut.i.ready)
        ctx.set(dut.i.valid, 0)

    async def sink(ctx):
        while len(decoded) < len(frames) + 1:
            ready = rng.random() < 0.7
            ctx.set(dut.o.ready, ready)
            _, _, valid, item = await ctx.tick().sample(dut.o.valid, dut.o.payload)
            if valid and ready:
                if item.end:
                    decoded.append((bytes(current), item.bad))
                    current.clear()
                else:
                    current.append(item.data)

    simulate(dut, source, sink)
    assert decoded == [(frame, 0) for frame in frames] + [(b"\x01", 1)]


def test_cobs_encoder_matches_the_cobs_package():
    frames = random_frames(3, 12)
    depth = 1024
    m = Module()
    m.submodules.memory = memory = Memory(shape=8, depth=depth, init=[])
    m.submodules.encoder = encoder = CobsEncoder(10)
    read = memory.read_port()
    m.d.comb += [read.addr.eq(encoder.addr), encoder.data.eq(read.data)]
    write = memory.write_port()
    outputs = []
    rng = random.Random(4)

    async def bench(ctx):
        for frame in frames:
            for address, byte in enumerate(frame):
                ctx.set(write.addr, 100 + address)
                ctx.set(write.data, byte)
                ctx.set(write.en, 1)
                await ctx.tick()
            ctx.set(write.en, 0)
            ctx.set(encoder.base, 100)
            ctx.set(encoder.length, len(frame))
            ctx.set(encoder.start, 1)
            await ctx.tick()
            ctx.set(encoder.start, 0)
            line = bytearray()
            while True:
                ready = rng.random() < 0.6
                ctx.set(encoder.o.ready, ready)
                _, _, valid, byte = await ctx.tick().sample(encoder.o.valid, encoder.o.payload)
                if valid and ready:
                    line.append(byte)
                    if byte == 0:
                        break
            outputs.append(bytes(line))
            assert not ctx.get(encoder.busy)

    simulate(m, bench)
    assert outputs == [cobs.encode(frame) + b"\0" for frame in frames]


def test_frame_receiver_checks_the_crc_of_random_frames_as_zlib_does():
    rng = random.Random(6)
    cases = []
    for k in range(30):
        payload = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
        body = bytearray(protocol.body(rng.choice([1, 2, 7]), rng.randrange(1 << 16), payload))
        intact = k % 2 == 0
        if not intact:
            body[rng.randrange(len(body))] ^= 1 << rng.randrange(8)
        cases.append((bytes(body), intact))
    dut = FrameReceiver(64)
    verdicts = []

    async def bench(ctx):
        for body, _ in cases:
            for item in [{"data": byte, "end": 0, "bad": 0} for byte in body] + [
                    {"data": 0, "end": 1, "bad": 0}]:
                ctx.set(dut.i.payload, item)
                ctx.set(dut.i.valid, 1)
                _, _, accepted, crc_error, malformed = await ctx.tick().sample(
                    dut.accepted, dut.crc_error, dut.malformed)
            verdicts.append((accepted, crc_error, malformed))
            header = (ctx.get(dut.frame_type), ctx.get(dut.seq), ctx.get(dut.length))
            if accepted:
                assert header == struct.unpack_from("<BHH", body)
            ctx.set(dut.i.valid, 0)
            ctx.set(dut.release, 1)
            await ctx.tick()
            ctx.set(dut.release, 0)

    simulate(dut, bench)
    for (body, intact), (accepted, crc_error, malformed) in zip(cases, verdicts):
        assert accepted == intact == (protocol.crc32(body) == 0x2144DF1C)
        assert intact or crc_error or malformed      # a flipped length field: malformed


# --- the whole board top, bit level, in Amaranth ----------------------------------------

PERIOD_CLOCK = 8_000_000                  # 8 cycles per bit at 1 Mbaud: fast to simulate


class Host:
    """Sends frames to a LinkTop's rx line and collects the frames on its tx line."""

    def __init__(self, top):
        self.top, self.period = top, top.cycles_per_bit
        self.replies = []

    async def exchange(self, ctx, line_bytes, replies, timeout=200_000):
        await send_bytes(ctx, self.top.rx, line_bytes, self.period)
        splitter = protocol.FrameSplitter(4096)
        frames = []
        waited = 0
        while len(frames) < replies and waited < timeout:
            data = await receive_bytes(ctx, self.top.tx, self.period, 1, 10 * self.period)
            waited += 10 * self.period
            frames += splitter.feed(data)
        return [protocol.decode(frame) for frame in frames]


def run_link(design, script):
    top = LinkTop(design, PERIOD_CLOCK, 1_000_000)
    host = Host(top)
    results = {}

    async def bench(ctx):
        results.update(await script(ctx, host, top))

    simulate(top, bench)
    return results


def test_link_top_identifies_computes_and_answers_duplicates_once():
    design = load_design(EXAMPLES / "hd_classifier64_stream.toml")
    params = protocol.LinkParams.of(design)
    vectors = np.random.default_rng(5).integers(-128, 128, size=(3, design.n))

    async def script(ctx, host, top):
        out = {}
        [identity] = await host.exchange(ctx, protocol.encode(protocol.IDENTIFY, 9), 1)
        out["identity"] = identity
        payload = protocol.pack_vectors(design, vectors[:2])
        [first] = await host.exchange(ctx, protocol.encode(protocol.VECTORS, 0, payload), 1)
        [again] = await host.exchange(ctx, protocol.encode(protocol.VECTORS, 0, payload), 1)
        body = bytearray(protocol.body(protocol.VECTORS, 1, payload))
        body[-1] ^= 0x10                        # a CRC bit flipped: dropped, not answered
        out["dropped"] = await host.exchange(ctx, cobs.encode(bytes(body)) + b"\0", 1,
                                             timeout=3000)
        [skipped] = await host.exchange(ctx, protocol.encode(protocol.VECTORS, 5, payload), 1)
        [short] = await host.exchange(ctx, protocol.encode(protocol.VECTORS, 1, payload[:-1]), 1)
        [third] = await host.exchange(
            ctx, protocol.encode(protocol.VECTORS, 1, protocol.pack_vectors(design, vectors[2:])), 1)
        [late] = await host.exchange(ctx, protocol.encode(protocol.IDENTIFY, 3), 1)
        out.update(first=first, again=again, skipped=skipped, short=short, third=third,
                   late=late)
        return out

    out = run_link(design, script)
    identity = protocol.Identity.parse(out["identity"].payload)
    assert out["identity"].type == protocol.IDENTITY and out["identity"].seq == 9
    assert identity == protocol.Identity.of(design, 1_000_000, PERIOD_CLOCK, identity.version,
                                            counters=(1, 0, 0, 0, 0, 0, 0, 0))
    expected = run(design, vectors)
    assert out["first"].type == protocol.RESULTS and out["first"].seq == 0
    assert np.array_equal(protocol.unpack_vectors(design, out["first"].payload), expected[:2])
    assert out["again"] == out["first"]
    assert out["dropped"] == []
    assert (out["skipped"].type, out["skipped"].seq) == (protocol.NAK, 5)
    assert out["skipped"].payload == bytes([protocol.NAK_SEQUENCE, 1, 0])
    assert out["short"].payload == bytes([protocol.NAK_LENGTH, 1, 0])
    assert np.array_equal(protocol.unpack_vectors(design, out["third"].payload), expected[2:])
    late = protocol.Identity.parse(out["late"].payload)
    assert late.next_seq == 2
    assert late.counter_dict == {"frames": 7, "crc_errors": 1, "malformed": 0, "too_long": 0,
                                 "uart_errors": 0, "overruns": 0, "naks": 2, "duplicates": 1}
    assert params.vectors_per_frame >= 2


def test_link_top_runs_a_credit_design():
    """The link top feeds and drains a design whose i.ready comes from credits."""
    from nomul.design import parse_design
    design = parse_design({"name": "credit", "n": 8, "input_width": 5, "parallelism": 2,
                           "flow": "credit", "stage": [
                               {"kind": "signflip", "seed": 2},
                               {"kind": "fwht", "overflow": "grow"}, {"kind": "sign"}]})
    vectors = np.random.default_rng(6).integers(-16, 16, size=(5, design.n))

    async def script(ctx, host, top):
        payload = protocol.pack_vectors(design, vectors)
        [reply] = await host.exchange(ctx, protocol.encode(protocol.VECTORS, 0, payload), 1)
        return {"reply": reply}

    reply = run_link(design, script)["reply"]
    assert reply.type == protocol.RESULTS
    assert np.array_equal(protocol.unpack_vectors(design, reply.payload), run(design, vectors))
