"""The board link in gateware: the design behind a UART that speaks the framed protocol of
docs/link.md (frame layout, identity and sizes from :mod:`nomul.protocol`).

Bytes from the line go through a receive FIFO (sized so that a host that keeps to the
protocol's window never overflows it), are unstuffed (:class:`~.cobs.CobsDecoder`) and
written into a frame buffer while a CRC-32 runs over them. Only a frame whose CRC,
length and stuffing are right is handled, one at a time: its vectors are fed to the
design beat by beat and the results written, with header and CRC, into one of
``window`` result slots, from where the stuffing encoder sends them; a repeated frame
is answered again from its slot.
"""

from amaranth import Array, Cat, Const, Module, Mux, Signal, Value
from amaranth.lib import crc, data, stream, wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from .. import protocol
from ..hdl.top import DesignTop
from ..protocol import DEFAULT_BAUD, Identity, LinkParams
from ..verilog import nomul_version
from .cobs import CobsDecoder, CobsEncoder, DecodedByte
from .uart import UARTReceiver, UARTTransmitter, cycles_per_bit

__all__ = ["LinkTop", "FrameReceiver", "DEFAULT_BAUD"]


_CRC = crc.catalog.CRC32_ISO_HDLC(data_width=8)


class FrameReceiver(wiring.Component):
    """Takes decoded bytes and holds one correct frame at a time.

    A frame whose end arrives with a CRC, length and stuffing that are right raises
    ``full`` and leaves its header on ``frame_type``, ``seq``, ``length`` and its bytes
    readable through ``read_addr``/``read_data`` (synchronous: the byte at the address
    of the cycle before; the payload starts at address 5) until ``release`` is pulsed;
    meanwhile ``i`` is held off. Other frames are dropped, with a pulse on ``too_long``,
    ``malformed`` or ``crc_error``; empty frames are ignored.

    Members
    -------
    i : ``In(stream.Signature(DecodedByte()))``
    full, accepted, too_long, malformed, crc_error : ``Out(1)``
    frame_type : ``Out(8)``; seq, length : ``Out(16)``
    release : ``In(1)``
    read_addr : ``In(range(capacity))``; read_data : ``Out(8)``
    """

    def __init__(self, capacity):
        self.capacity = capacity
        super().__init__({
            "i": In(stream.Signature(DecodedByte())),
            "full": Out(1), "accepted": Out(1), "too_long": Out(1), "malformed": Out(1),
            "crc_error": Out(1), "frame_type": Out(8), "seq": Out(16), "length": Out(16),
            "release": In(1), "read_addr": In(range(capacity)), "read_data": Out(8)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.buffer = buffer = Memory(shape=8, depth=self.capacity, init=[])
        write, read = buffer.write_port(), buffer.read_port()
        m.submodules.crc = checker = _CRC.create()
        count = Signal(range(self.capacity + 1))
        overflow = Signal()
        item = self.i.payload
        m.d.comb += [read.addr.eq(self.read_addr), self.read_data.eq(read.data),
                     self.i.ready.eq(~self.full),
                     write.addr.eq(count), write.data.eq(item.data), checker.data.eq(item.data)]
        with m.If(self.release):
            m.d.sync += self.full.eq(0)
        with m.If(self.i.valid & self.i.ready & ~item.end):
            with m.If(count == self.capacity):
                m.d.sync += overflow.eq(1)
            with m.Else():
                m.d.comb += [write.en.eq(1), checker.valid.eq(1), checker.start.eq(count == 0)]
                m.d.sync += count.eq(count + 1)
                header = {0: self.frame_type, 1: self.seq[:8], 2: self.seq[8:],
                          3: self.length[:8], 4: self.length[8:]}
                with m.Switch(count):
                    for offset, field in header.items():
                        with m.Case(offset):
                            m.d.sync += field.eq(item.data)
        with m.If(self.i.valid & self.i.ready & item.end):
            m.d.sync += [count.eq(0), overflow.eq(0)]
            with m.If(overflow):
                m.d.comb += self.too_long.eq(1)
            with m.Elif((count == 0) & ~item.bad):
                pass                                    # an empty frame
            with m.Elif(item.bad | (count < protocol.OVERHEAD)):
                m.d.comb += self.malformed.eq(1)
            with m.Elif(~checker.match_detected):
                m.d.comb += self.crc_error.eq(1)
            with m.Elif(self.length != count - protocol.OVERHEAD):
                m.d.comb += self.malformed.eq(1)
            with m.Else():
                m.d.comb += self.accepted.eq(1)
                m.d.sync += self.full.eq(1)
        return m


class LinkTop(wiring.Component):
    """``design`` behind the board link at ``baud`` on a ``clock_hz`` clock.

    Members
    -------
    rx : ``In(1)``, the line from the host (idle high).
    tx : ``Out(1)``, the line to the host (idle high).
    idle : ``Out(1)``, high while nothing is received, queued, computed or sent: the
        board changes no state until the next byte arrives.
    error_seen : ``Out(1)``, high once a frame was dropped since reset.

    Raises ``ValueError`` when the clock cannot carry ``baud``
    (:func:`~.uart.cycles_per_bit`).
    """
    rx: In(1, init=1)
    tx: Out(1, init=1)
    idle: Out(1)
    error_seen: Out(1)

    def __init__(self, design, clock_hz, baud=DEFAULT_BAUD):
        self.design = design
        self.cycles_per_bit = cycles_per_bit(clock_hz, baud)
        self.clock_hz, self.baud = clock_hz, baud
        self.params = LinkParams.of(design)
        self.identity = Identity.of(design, baud, clock_hz, nomul_version()).to_bytes()
        results_body = protocol.OVERHEAD + self.params.vectors_per_frame * self.params.out_bytes
        largest = max(results_body, protocol.HEADER + len(self.identity) + protocol.CRC_BYTES)
        self.slot_bits = (largest - 1).bit_length()
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        params, window = self.params, self.params.window
        counters = {name: Signal(16, name=f"count_{name}") for name in protocol.COUNTERS}

        def count(name, event):
            with m.If(event):
                m.d.sync += counters[name].eq(counters[name] + 1)

        # Line in: UART, receive FIFO, unstuffing, frame buffer.
        m.submodules.uart_rx = uart_rx = UARTReceiver(self.cycles_per_bit)
        m.submodules.rx_fifo = rx_fifo = SyncFIFOBuffered(width=8, depth=params.rx_buffer)
        m.submodules.decoder = decoder = CobsDecoder()
        m.submodules.receiver = receiver = FrameReceiver(params.max_body)
        m.d.comb += [uart_rx.line.eq(self.rx),
                     rx_fifo.w_data.eq(uart_rx.data), rx_fifo.w_en.eq(uart_rx.done),
                     decoder.i.payload.eq(rx_fifo.r_data), decoder.i.valid.eq(rx_fifo.r_rdy),
                     rx_fifo.r_en.eq(decoder.i.ready)]
        # A byte with a bad stop bit ends the frame it is in as a delimiter would; both
        # halves then fail their checks.
        with m.If(uart_rx.error):
            m.d.comb += [rx_fifo.w_data.eq(0), rx_fifo.w_en.eq(1)]
        wiring.connect(m, decoder.o, receiver.i)
        count("uart_errors", uart_rx.error)
        count("overruns", rx_fifo.w_en & ~rx_fifo.w_rdy)
        for name in ("accepted", "too_long", "malformed", "crc_error"):
            key = {"accepted": "frames", "crc_error": "crc_errors"}.get(name, name)
            count(key, getattr(receiver, name))
        with m.If(receiver.too_long | receiver.malformed | receiver.crc_error | uart_rx.error
                  | (rx_fifo.w_en & ~rx_fifo.w_rdy)):
            m.d.sync += self.error_seen.eq(1)

        # Line out: result slots, stuffing, transmit FIFO, UART.
        slots = window + 1                      # one per window position, one for replies
        m.submodules.slots = slot_memory = Memory(shape=8, depth=slots << self.slot_bits,
                                                  init=[])
        slot_write, slot_read = slot_memory.write_port(), slot_memory.read_port()
        m.submodules.encoder = encoder = CobsEncoder(len(slot_read.addr))
        m.submodules.tx_fifo = tx_fifo = SyncFIFOBuffered(width=8, depth=16)
        m.submodules.uart_tx = uart_tx = UARTTransmitter(self.cycles_per_bit)
        m.d.comb += [slot_read.addr.eq(encoder.addr), encoder.data.eq(slot_read.data),
                     self.tx.eq(uart_tx.line)]
        wiring.connect(m, encoder.o, tx_fifo.w_stream)
        wiring.connect(m, tx_fifo.r_stream, uart_tx.i)
        slot_length = Array(Signal(16, name=f"slot{k}_length") for k in range(slots))

        # The design, fed beat by beat from the frame buffer; its results byte by byte.
        m.submodules.design = design = DesignTop(self.design)
        feeder, results = self._feeder(m, design, receiver), self._collector(m, design)

        # The controller: one frame at a time.
        next_seq = Signal(16)
        answered = Signal(range(window + 1))    # frames computed since reset, up to window
        frame_type, seq, length = Signal(8), Signal(16), Signal(16)
        vectors, remainder, out_length = Signal(16), Signal(16), Signal(16)
        slot = Signal(range(slots))
        offset = Signal(16)                     # next byte of the slot to write
        nak_code = Signal(8)
        m.submodules.tx_crc = tx_crc = _CRC.create()
        reply_type = Signal(8)
        payload_length = Signal(16)
        distance = Signal(16)
        writing_crc = Signal()                  # the CRC's own bytes do not enter it
        m.d.comb += [distance.eq(next_seq - receiver.seq),
                     slot_write.addr.eq(Cat(offset[:self.slot_bits], slot)),
                     tx_crc.data.eq(slot_write.data),
                     tx_crc.valid.eq(slot_write.en & ~writing_crc),
                     tx_crc.start.eq(offset == 0),
                     encoder.base.eq(Cat(Const(0, self.slot_bits), slot)),
                     encoder.length.eq(slot_length[slot])]

        def write(byte):
            m.d.comb += [slot_write.data.eq(byte), slot_write.en.eq(1)]
            m.d.sync += offset.eq(offset + 1)

        # The identity's fixed bytes in a ROM, read a cycle ahead: in HEADER (address 0)
        # for the first, then one byte ahead of the write.
        m.submodules.identity = identity = Memory(shape=8, depth=len(self.identity),
                                                  init=self.identity)
        identity_read = identity.read_port()
        writing_identity = Signal()
        live = {Identity.NEXT_SEQ_OFFSET: next_seq[:8],
                Identity.NEXT_SEQ_OFFSET + 1: next_seq[8:]}
        for k, name in enumerate(protocol.COUNTERS):
            live[Identity.COUNTERS_OFFSET + 2 * k] = counters[name][:8]
            live[Identity.COUNTERS_OFFSET + 2 * k + 1] = counters[name][8:]
        identity_byte = Signal(8)
        index = offset - protocol.HEADER
        m.d.comb += [identity_read.addr.eq(Mux(writing_identity, index + 1, 0)),
                     identity_byte.eq(identity_read.data)]
        with m.Switch(index):
            for position, value in live.items():
                with m.Case(position):
                    m.d.comb += identity_byte.eq(value)

        with m.FSM(name="link"):
            with m.State("IDLE"):
                m.d.comb += self.idle.eq(~rx_fifo.r_rdy & ~uart_rx.busy & ~encoder.busy
                                         & ~tx_fifo.r_rdy & ~uart_tx.busy & ~receiver.full)
                m.d.sync += [frame_type.eq(receiver.frame_type), seq.eq(receiver.seq),
                             length.eq(receiver.length), offset.eq(0)]
                with m.If(receiver.full):
                    with m.If(receiver.frame_type == protocol.IDENTIFY):
                        m.d.sync += [slot.eq(window), reply_type.eq(protocol.IDENTITY),
                                     payload_length.eq(len(self.identity))]
                        m.d.comb += receiver.release.eq(1)
                        m.next = "HEADER"
                    with m.Elif(receiver.frame_type == protocol.VECTORS):
                        with m.If(receiver.seq == next_seq):
                            m.d.sync += [vectors.eq(0), remainder.eq(receiver.length),
                                         out_length.eq(0)]
                            m.next = "COUNT"
                        with m.Elif((distance != 0) & (distance <= answered)):
                            m.d.sync += slot.eq(receiver.seq % window)
                            m.d.comb += receiver.release.eq(1)
                            count("duplicates", 1)
                            m.next = "SEND"
                        with m.Else():
                            m.d.sync += nak_code.eq(protocol.NAK_SEQUENCE)
                            m.next = "NAK"
                    with m.Else():
                        m.d.sync += nak_code.eq(protocol.NAK_TYPE)
                        m.next = "NAK"
            with m.State("NAK"):
                m.d.sync += [slot.eq(window), reply_type.eq(protocol.NAK),
                             payload_length.eq(3)]
                m.d.comb += receiver.release.eq(1)
                count("naks", 1)
                m.next = "HEADER"
            with m.State("COUNT"):              # vectors in the frame, by subtraction
                with m.If(remainder >= params.in_bytes):
                    m.d.sync += [remainder.eq(remainder - params.in_bytes),
                                 vectors.eq(vectors + 1),
                                 out_length.eq(out_length + params.out_bytes)]
                with m.Elif((remainder == 0) & (vectors != 0)
                            & (vectors <= params.vectors_per_frame)):
                    m.d.sync += [slot.eq(seq % window), reply_type.eq(protocol.RESULTS),
                                 payload_length.eq(out_length)]
                    m.d.comb += feeder.start.eq(1)
                    m.next = "HEADER"
                with m.Else():
                    m.d.sync += nak_code.eq(protocol.NAK_LENGTH)
                    m.next = "NAK"
            with m.State("HEADER"):
                header = [reply_type, seq[:8], seq[8:], payload_length[:8], payload_length[8:]]
                write(Array(header)[offset[:3]])
                with m.If(offset == protocol.HEADER - 1):
                    with m.If(reply_type == protocol.IDENTITY):
                        m.next = "IDENTITY"
                    with m.Elif(reply_type == protocol.NAK):
                        m.next = "NAK_BODY"
                    with m.Else():
                        m.next = "RESULTS"
            with m.State("IDENTITY"):
                m.d.comb += writing_identity.eq(1)
                write(identity_byte)
                with m.If(offset == protocol.HEADER + len(self.identity) - 1):
                    m.next = "CRC"
            with m.State("NAK_BODY"):
                write(Array([nak_code, next_seq[:8], next_seq[8:]])[offset - protocol.HEADER])
                with m.If(offset == protocol.HEADER + 2):
                    m.next = "CRC"
            with m.State("RESULTS"):
                m.d.comb += results.ready.eq(1)
                with m.If(offset == protocol.HEADER + payload_length):
                    m.d.comb += results.ready.eq(0)
                    m.d.sync += [next_seq.eq(next_seq + 1),
                                 answered.eq(answered + (answered != window))]
                    m.next = "CRC"
                with m.Elif(results.valid):
                    write(results.payload)
            with m.State("CRC"):
                stop = offset - protocol.HEADER - payload_length
                m.d.comb += writing_crc.eq(1)
                write(tx_crc.crc.word_select(stop[:2], 8))
                with m.If(stop == protocol.CRC_BYTES - 1):
                    m.d.sync += slot_length[slot].eq(offset + 1)
                    m.next = "SEND"
            with m.State("SEND"):
                m.d.comb += encoder.start.eq(1)
                m.next = "SENDING"
            with m.State("SENDING"):
                with m.If(~encoder.busy):
                    m.next = "IDLE"
        with m.If(feeder.done):
            m.d.comb += receiver.release.eq(1)
        return m

    def _feeder(self, m, design, receiver):
        """Feeds the frame buffer's vectors to the design, one beat at a time: ``start``
        begins at payload byte 0; ``done`` pulses when the last beat is taken."""
        params, beat_width = self.params, self.design.input.beat.total_width
        feeder = Signal(data.StructLayout({"start": 1, "done": 1}))
        address = Signal(range(params.max_body + 1))
        left = Signal(range(params.max_body + 1))     # bytes still to read
        beat = Signal(8 * params.in_beat_bytes)
        byte_index = Signal(range(params.in_beat_bytes))
        m.d.comb += [receiver.read_addr.eq(address), design.i.payload.eq(beat[:beat_width])]
        with m.FSM(name="feeder"):
            with m.State("IDLE"):
                with m.If(feeder.start):
                    m.d.sync += [address.eq(protocol.HEADER), left.eq(receiver.length),
                                 byte_index.eq(0)]
                    m.next = "READ"
            with m.State("READ"):                     # the byte at address arrives next
                m.next = "TAKE"
            with m.State("TAKE"):
                m.d.sync += [beat.eq(Cat(beat[8:], receiver.read_data)),
                             address.eq(address + 1), left.eq(left - 1),
                             byte_index.eq(byte_index + 1)]
                with m.If(byte_index == params.in_beat_bytes - 1):
                    m.next = "OFFER"
                with m.Else():
                    m.next = "READ"
            with m.State("OFFER"):
                m.d.comb += design.i.valid.eq(1)
                with m.If(design.i.ready):
                    m.d.sync += byte_index.eq(0)
                    with m.If(left == 0):
                        m.d.comb += feeder.done.eq(1)
                        m.next = "IDLE"
                    with m.Else():
                        m.next = "READ"
        return feeder

    def _collector(self, m, design):
        """The design's output beats as a stream of bytes, least significant first."""
        out_beat_bytes = self.params.out_beat_bytes
        results = stream.Signature(8).create()
        beat = Signal(8 * out_beat_bytes)
        byte_index = Signal(range(out_beat_bytes))
        full = Signal()
        m.d.comb += [design.o.ready.eq(~full), results.valid.eq(full),
                     results.payload.eq(beat[:8])]
        with m.If(design.o.valid & ~full):
            m.d.sync += [beat.eq(Value.cast(design.o.payload)), full.eq(1), byte_index.eq(0)]
        with m.If(results.valid & results.ready):
            m.d.sync += [beat.eq(beat[8:]), byte_index.eq(byte_index + 1)]
            with m.If(byte_index == out_beat_bytes - 1):
                m.d.sync += full.eq(0)
        return results
