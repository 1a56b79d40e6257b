"""The board link's frame format, in one place: the gateware (``boards/link.py``) builds
its constants and identity ROM from here and the host (``nomul/host.py``) encodes and
decodes with it. ``docs/link.md`` is the same contract in prose.

A frame on the line is ``COBS(body) 0x00``; the body is ``type u8, seq u16, length u16,
payload (length bytes), CRC-32 u32`` (little-endian; CRC-32/ISO-HDLC, as ``zlib.crc32``,
over type..payload). Byte stuffing is the ``cobs`` package's, the CRC the standard
library's.
"""

import struct
import zlib
from dataclasses import dataclass

import numpy as np
from cobs import cobs

from .packing import pack_rows, unpack

__all__ = ["IDENTIFY", "VECTORS", "IDENTITY", "RESULTS", "NAK", "NAK_SEQUENCE",
           "NAK_LENGTH", "NAK_TYPE", "HEADER", "CRC_BYTES", "OVERHEAD", "MAGIC", "VERSION",
           "COUNTERS", "LinkParams", "Frame", "Identity", "body", "encode", "decode",
           "FrameSplitter", "pack_vectors", "unpack_vectors", "crc32", "SEQ_MODULUS",
           "stuffed_size", "FrameError", "COUNTER_TEXT", "DEFAULT_BAUD"]

# Frame types: host to board below 0x80, board to host from 0x80.
IDENTIFY, VECTORS = 0x01, 0x02
IDENTITY, RESULTS, NAK = 0x81, 0x82, 0x83
# NAK codes (first payload byte), followed by the board's next expected seq (u16).
NAK_SEQUENCE, NAK_LENGTH, NAK_TYPE = 1, 2, 3

HEADER = 5                      # type u8, seq u16, length u16
CRC_BYTES = 4
OVERHEAD = HEADER + CRC_BYTES
SEQ_MODULUS = 1 << 16
MAGIC = b"NOML"
VERSION = 1
# The board's 16-bit wrapping event counters, in the order the identity carries them.
COUNTERS = ("frames", "crc_errors", "malformed", "too_long", "uart_errors", "overruns",
            "naks", "duplicates")
COUNTER_TEXT = {
    "frames": "frames accepted", "crc_errors": "CRC errors", "malformed":
    "malformed frames (bad stuffing, too short, length field wrong)", "too_long":
    "frames longer than the receive buffer", "uart_errors": "bytes with a bad stop bit",
    "overruns": "bytes lost to a full receive FIFO", "naks": "NAKs sent",
    "duplicates": "duplicates answered again"}

MAX_FRAME_PAYLOAD = 256         # the payload a frame aims for; one vector at least
DEFAULT_BAUD = 1_000_000        # of board images, hosts and virtual boards


def stuffed_size(body_bytes):
    """The most bytes a body of ``body_bytes`` takes after COBS (delimiters not counted):
    one code byte, and one more per 254 bytes."""
    return body_bytes + body_bytes // 254 + 1


def crc32(data):
    return zlib.crc32(data) & 0xFFFFFFFF


def _bytes_per_beat(vector):
    return (vector.beat.total_width + 7) // 8


@dataclass(frozen=True)
class LinkParams:
    """The link's sizes for one design, derived here once for gateware and host.

    ``in_bytes`` / ``out_bytes``: one input / output vector on the link (each beat padded
    to whole bytes); ``vectors_per_frame``: the most vectors in one frame;
    ``window``: result slots the board keeps (the most frames a host leaves unanswered);
    ``rx_buffer``: bytes of the board's receive FIFO (a host never has more encoded bytes
    unanswered); ``max_body``: the longest body the board takes."""
    in_beat_bytes: int
    out_beat_bytes: int
    in_beats: int
    out_beats: int
    vectors_per_frame: int
    window: int = 4

    @classmethod
    def of(cls, design):
        in_beat, out_beat = _bytes_per_beat(design.input), _bytes_per_beat(design.output)
        largest = max(in_beat * design.input.beats, out_beat * design.output.beats)
        return cls(in_beat, out_beat, design.input.beats, design.output.beats,
                   max(1, MAX_FRAME_PAYLOAD // largest))

    @property
    def in_bytes(self):
        return self.in_beat_bytes * self.in_beats

    @property
    def out_bytes(self):
        return self.out_beat_bytes * self.out_beats

    @property
    def max_body(self):
        return OVERHEAD + self.vectors_per_frame * max(self.in_bytes, self.out_bytes)

    @property
    def max_encoded(self):
        """The longest frame on the line, with both delimiters a host sends."""
        return stuffed_size(self.max_body) + 2

    @property
    def rx_buffer(self):
        """Two whole frames at least, in whole 512-byte blocks of RAM."""
        return max(1024, -(-2 * self.max_encoded // 512) * 512)


@dataclass(frozen=True)
class Frame:
    type: int
    seq: int
    payload: bytes


def body(frame_type, seq, payload=b""):
    """The unstuffed body of a frame: header, payload and CRC."""
    head = struct.pack("<BHH", frame_type, seq % SEQ_MODULUS, len(payload)) + bytes(payload)
    return head + struct.pack("<I", crc32(head))


def encode(frame_type, seq, payload=b"", lead=True):
    """A frame as sent on the line: ``0x00`` (when ``lead``; the host always leads with
    one so that a partial frame before it is cut off), ``COBS(body)``, ``0x00``."""
    return (b"\0" if lead else b"") + cobs.encode(body(frame_type, seq, payload)) + b"\0"


class FrameError(ValueError):
    """A received frame that must be dropped; ``reason`` is a key of :data:`COUNTERS`."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


def decode(encoded):
    """The :class:`Frame` in ``encoded`` (one frame's bytes between delimiters, without
    them). Raises :class:`FrameError` naming why it must be dropped."""
    try:
        raw = cobs.decode(encoded)
    except cobs.DecodeError as error:
        raise FrameError("malformed", f"bad byte stuffing ({error})") from None
    if len(raw) < OVERHEAD:
        raise FrameError("malformed", f"{len(raw)} bytes, shorter than a header and CRC")
    if crc32(raw) != 0x2144DF1C:          # the CRC-32 of any body with its CRC appended
        raise FrameError("crc_errors", "CRC mismatch")
    frame_type, seq, length = struct.unpack_from("<BHH", raw)
    if length != len(raw) - OVERHEAD:
        raise FrameError("malformed", f"length field {length}, but {len(raw) - OVERHEAD} "
                                      "payload bytes")
    return Frame(frame_type, seq, raw[HEADER:HEADER + length])


class FrameSplitter:
    """Cuts a byte stream at ``0x00`` delimiters: :meth:`feed` returns the complete
    frames' bytes (empty ones skipped); at most ``limit`` bytes of a frame are kept (a
    longer one comes out as ``None``, to be counted and dropped)."""

    def __init__(self, limit):
        self.limit = limit
        self.partial = bytearray()
        self.overlong = False

    def feed(self, data):
        frames = []
        parts = bytes(data).split(b"\0")
        for k, part in enumerate(parts):
            if not self.overlong:
                self.partial += part
                if len(self.partial) > self.limit:
                    self.overlong, self.partial = True, bytearray()
            if k < len(parts) - 1:        # a delimiter follows this part
                if self.overlong:
                    frames.append(None)
                elif self.partial:
                    frames.append(bytes(self.partial))
                self.partial, self.overlong = bytearray(), False
        return frames


def pack_vectors(design, vectors, params=None):
    """The link bytes of input vectors ``vectors`` (shape ``(k, n)``): per vector its
    beats in order, each beat's payload little-endian in ``in_beat_bytes`` bytes."""
    params = params or LinkParams.of(design)
    beat = design.input.beat
    rows = np.asarray(vectors, dtype=np.int64).reshape(-1, beat.elements)
    words = pack_rows(rows, beat.width).astype("<u4")
    return words.view(np.uint8)[:, :params.in_beat_bytes].tobytes()


def unpack_vectors(design, data, params=None):
    """The output vectors (``int64``, shape ``(k, output elements)``) in result payload
    ``data``, which must hold a whole number of them."""
    params = params or LinkParams.of(design)
    beat = design.output.beat
    if len(data) % params.out_bytes:
        raise ValueError(f"{len(data)} result bytes are not a whole number of "
                         f"{params.out_bytes}-byte vectors")
    rows = []
    for offset in range(0, len(data), params.out_beat_bytes):
        payload = int.from_bytes(data[offset:offset + params.out_beat_bytes], "little")
        rows.append(unpack(payload, beat.elements, beat.width, beat.signed))
    return np.asarray(rows, dtype=np.int64).reshape(-1, design.output.elements)


@dataclass(frozen=True)
class Identity:
    """What a board answers to IDENTIFY (payload layout in ``docs/link.md``)."""
    digest: bytes
    n: int
    in_beats: int
    in_lanes: int
    in_width: int
    out_beats: int
    out_lanes: int
    out_width: int
    vectors_per_frame: int
    window: int
    rx_buffer: int
    baud: int
    clock_hz: int
    next_seq: int
    counters: tuple
    name: str
    version: str

    FIXED = struct.Struct("<4sB32sHHHBHHBHBHIIH8H")

    @classmethod
    def of(cls, design, baud, clock_hz, version, next_seq=0, counters=(0,) * 8):
        params = LinkParams.of(design)
        return cls(bytes.fromhex(design.digest), design.n, design.input.beats,
                   design.input.lanes, design.input.width, design.output.beats,
                   design.output.lanes, design.output.width, params.vectors_per_frame,
                   params.window, params.rx_buffer, baud, clock_hz, next_seq,
                   tuple(counters), design.name, version)

    def to_bytes(self):
        fixed = self.FIXED.pack(MAGIC, VERSION, self.digest, self.n, self.in_beats,
                                self.in_lanes, self.in_width, self.out_beats, self.out_lanes,
                                self.out_width, self.vectors_per_frame, self.window,
                                self.rx_buffer, self.baud, self.clock_hz, self.next_seq,
                                *self.counters)
        name, version = self.name.encode()[:255], self.version.encode()[:255]
        return fixed + bytes([len(name)]) + name + bytes([len(version)]) + version

    @classmethod
    def parse(cls, payload):
        """Raises ``ValueError`` when ``payload`` is not an identity."""
        size = cls.FIXED.size
        if len(payload) < size + 2 or payload[:4] != MAGIC:
            raise ValueError("the answer to IDENTIFY is not a nomul identity")
        fields = cls.FIXED.unpack_from(payload)
        if fields[1] != VERSION:
            raise ValueError(f"the board speaks link protocol version {fields[1]}, this "
                             f"host version {VERSION}")
        name_length = payload[size]
        name = payload[size + 1:size + 1 + name_length]
        rest = payload[size + 1 + name_length:]
        if not rest or len(rest) != 1 + rest[0]:
            raise ValueError("the answer to IDENTIFY is not a nomul identity")
        return cls(fields[2], *fields[3:16], tuple(fields[16:24]), name.decode(errors="replace"),
                   rest[1:].decode(errors="replace"))

    @property
    def counter_dict(self):
        return dict(zip(COUNTERS, self.counters))

    NEXT_SEQ_OFFSET = 4 + 1 + 32 + 2 * 3 + 1 + 2 * 2 + 1 + 2 + 1 + 2 + 4 + 4
    COUNTERS_OFFSET = NEXT_SEQ_OFFSET + 2
