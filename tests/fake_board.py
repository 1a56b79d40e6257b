"""A pure-Python board that follows the board rules of ``docs/link.md``, behind an
in-memory serial port that can drop, corrupt, lose and repeat bytes and frames: a test
double for the host (``nomul/host.py``), fast and deterministic.

:class:`FakePort` has pyserial's interface and a simulated clock (:meth:`FakePort.now`,
for ``Link(clock=...)``): a read that finds nothing moves the clock on by the port's
timeout instead of sleeping. The board works lazily: it takes the bytes written since
the last read when the host reads, so a host writes its whole window before any answer
comes, and a host that writes more than the board's receive FIFO holds loses bytes
(counted in ``overruns``).
"""

import random
from collections import Counter, OrderedDict

import numpy as np

from nomul import protocol
from nomul.golden.functional import run
from nomul.packing import pack, unpack
from nomul.protocol import (IDENTIFY, IDENTITY, NAK, NAK_LENGTH, NAK_SEQUENCE, NAK_TYPE,
                            RESULTS, SEQ_MODULUS, VECTORS, FrameError, FrameSplitter,
                            Identity, LinkParams, decode, encode)


def unpack_inputs(design, data, params):
    """The input vectors (shape ``(k, n)``) in a VECTORS payload: the inverse of
    :func:`nomul.protocol.pack_vectors`."""
    beat = design.input.beat
    rows = [unpack(int.from_bytes(data[offset:offset + params.in_beat_bytes], "little"),
                   beat.elements, beat.width, True)
            for offset in range(0, len(data), params.in_beat_bytes)]
    return np.asarray(rows, dtype=np.int64).reshape(-1, design.n)


def pack_outputs(design, outputs, params):
    """The RESULTS payload of output vectors ``outputs`` (written independently of
    :func:`nomul.protocol.unpack_vectors`, which the host reads it with)."""
    beat = design.output.beat
    data = bytearray()
    for vector in outputs:
        for row in np.asarray(vector).reshape(design.output.beats, beat.elements):
            data += pack(row, beat.width).to_bytes(params.out_beat_bytes, "little")
    return bytes(data)


class FakeBoard:
    """The board side of the link for ``design``: computes with the golden model (or
    ``compute``), keeps the last ``window`` answers, and counts what the identity's
    counters count. ``identity_design`` makes it claim another design's hash and name."""

    def __init__(self, design, next_seq=0, baud=1_000_000, identity_design=None,
                 compute=None):
        self.design = design
        self.params = LinkParams.of(design)
        self.baud = baud
        self.claimed = identity_design or design
        self.compute = compute or (lambda x: run(design, x))
        self.splitter = FrameSplitter(self.params.max_body + self.params.max_body // 254 + 1)
        self.reset(next_seq)

    def reset(self, next_seq=0):
        """Power-on state: expects ``next_seq``, has answered nothing, counters at 0."""
        self.expected = next_seq
        self.answers = OrderedDict()        # seq -> RESULTS payload, the last `window`
        self.counters = Counter()
        self.computed = 0                   # frames computed since reset
        self.splitter.feed(b"\0")

    def identity(self):
        base = Identity.of(self.claimed, self.baud, 12_000_000, "fake",
                           next_seq=self.expected,
                           counters=[self.counters[name] % SEQ_MODULUS
                                     for name in protocol.COUNTERS])
        return base.to_bytes()

    def receive(self, data):
        """The reply frames (a list of ``(type, seq, payload)``) to the bytes ``data``."""
        replies = []
        for raw in self.splitter.feed(data):
            if raw is None:
                self.counters["too_long"] += 1
                continue
            try:
                frame = decode(raw)
            except FrameError as error:
                self.counters[error.reason] += 1
                continue
            self.counters["frames"] += 1
            replies.append(self.answer(frame))
        return replies

    def answer(self, frame):
        if frame.type == IDENTIFY:
            return IDENTITY, frame.seq, self.identity()
        if frame.type != VECTORS:
            return self.nak(frame.seq, NAK_TYPE)
        size = len(frame.payload)
        if size == 0 or size % self.params.in_bytes or \
                size // self.params.in_bytes > self.params.vectors_per_frame:
            return self.nak(frame.seq, NAK_LENGTH)
        if frame.seq == self.expected:
            x = unpack_inputs(self.design, frame.payload, self.params)
            self.answers[frame.seq] = pack_outputs(self.design, self.compute(x), self.params)
            while len(self.answers) > self.params.window:
                self.answers.popitem(last=False)
            self.expected = (self.expected + 1) % SEQ_MODULUS
            self.computed += 1
            return RESULTS, frame.seq, self.answers[frame.seq]
        if frame.seq in self.answers:
            self.counters["duplicates"] += 1
            return RESULTS, frame.seq, self.answers[frame.seq]
        return self.nak(frame.seq, NAK_SEQUENCE)

    def nak(self, seq, code):
        self.counters["naks"] += 1
        return NAK, seq, bytes([code]) + self.expected.to_bytes(2, "little")


class FakePort:
    """An in-memory serial port to ``board`` (``None``: nothing answers).

    Faults, drawn from ``random.Random(seed)``: each byte to the board is dropped with
    probability ``drop`` or replaced by a random byte with ``corrupt``; each reply frame
    is lost with ``lose``, sent twice with ``repeat``, has a byte changed with
    ``garble``; ``lose_writes``: the numbers (from 0) of the host's writes that are lost
    whole. The host's reads find one reply frame at a time, as from a line much slower
    than the host. ``reset_after``: the board resets (and loses what its FIFO holds) once it
    has computed that many frames; ``dead_after``: it stops answering then;
    ``interrupt_after``: reads raise KeyboardInterrupt once the board has sent that many
    reply frames. ``history`` records ``(direction, bytes)`` for inspection."""

    def __init__(self, board, seed=0, drop=0.0, corrupt=0.0, lose=0.0, repeat=0.0,
                 garble=0.0, lose_writes=(), reset_after=None, dead_after=None,
                 interrupt_after=None):
        self.board = board
        self.rng = random.Random(seed)
        self.drop, self.corrupt = drop, corrupt
        self.lose, self.repeat, self.garble = lose, repeat, garble
        self.lose_writes, self.writes = set(lose_writes), 0
        self.reset_after, self.dead_after = reset_after, dead_after
        self.interrupt_after = interrupt_after
        self.port = "fake0"
        self.baudrate = board.baud if board else 1_000_000
        self.timeout = None
        self.clock = 0.0
        self.fifo = bytearray()             # bytes on their way to the board
        self.incoming = bytearray()         # bytes on their way to the host
        self.overruns = 0
        self.replies = 0
        self.closed = False

    def now(self):
        return self.clock

    # --- pyserial's interface ------------------------------------------------------------

    def write(self, data):
        self.writes += 1
        if self.writes - 1 in self.lose_writes:
            return len(data)
        for byte in data:
            if self.rng.random() < self.drop:
                continue
            if self.rng.random() < self.corrupt:
                byte = self.rng.randrange(256)
            if self.board and len(self.fifo) >= self.board.params.rx_buffer:
                self.overruns += 1
                self.board.counters["overruns"] += 1
                continue
            self.fifo.append(byte)
        return len(data)

    def read(self, size=1):
        if self.interrupt_after is not None and self.replies >= self.interrupt_after:
            raise KeyboardInterrupt
        self._run_board()
        if not self.incoming:
            self.clock += max(self.timeout or 0, 1e-3)
            return b""
        data = bytes(self.incoming[:size])
        del self.incoming[:size]
        return data

    @property
    def in_waiting(self):
        self._run_board()
        return self.incoming.find(0) + 1 or len(self.incoming)

    def reset_input_buffer(self):
        self._run_board()
        self.incoming.clear()

    def close(self):
        self.closed = True

    # --- the board behind it -----------------------------------------------------------

    def _dead(self):
        return self.board is None or (self.dead_after is not None
                                      and self.board.computed >= self.dead_after)

    def _run_board(self):
        data, self.fifo = bytes(self.fifo), bytearray()
        if self._dead():
            return
        for start in range(0, len(data), 64):       # frame by frame, near enough
            for reply in self.board.receive(data[start:start + 64]):
                self._reply(*reply)
            if self.reset_after is not None and self.board.computed >= self.reset_after:
                self.reset_after = None
                self.board.reset()
                return                              # the FIFO's content is lost
            if self._dead():
                return

    def _reply(self, frame_type, seq, payload):
        if self.rng.random() < self.lose:
            return
        line = bytearray(encode(frame_type, seq, payload, lead=False))
        if self.rng.random() < self.garble:
            line[self.rng.randrange(len(line) - 1)] ^= 1 << self.rng.randrange(8)
        copies = 2 if self.rng.random() < self.repeat else 1
        self.incoming += bytes(line) * copies
        self.replies += copies


class PtyBoard:
    """``board`` served on a pseudo-terminal by a thread, for hosts that open a real
    serial port: ``with PtyBoard(board) as path: ...`` (``path`` is the terminal to open).
    Replies go out as the board makes them, without faults."""

    def __init__(self, board):
        self.board = board

    def __enter__(self):
        import os
        import threading
        import tty
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return os.ttyname(self.slave)

    def _serve(self):
        import os
        import select
        while not self.stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.02)
            if not ready:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            for reply in self.board.receive(data):
                os.write(self.master, encode(*reply, lead=False))

    def __exit__(self, *exc):
        import os
        self.stop.set()
        self.thread.join()
        os.close(self.master)
        os.close(self.slave)
