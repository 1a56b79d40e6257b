"""A UART (8 data bits, no parity, one stop bit, least significant bit first) at a whole
number of clock cycles per bit, and the rule for which baud rates a clock can carry."""

from amaranth import Cat, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

__all__ = ["UARTReceiver", "UARTTransmitter", "cycles_per_bit", "MIN_CYCLES_PER_BIT",
           "MAX_BAUD_ERROR"]

# The receiver samples each bit in its middle; with 8 or more cycles per bit it takes
# bytes from a sender whose clock is off by 3 % (tests/test_link.py drives it so).
MIN_CYCLES_PER_BIT = 8
MAX_BAUD_ERROR = 0.01


def cycles_per_bit(clock_hz, baud):
    """The whole number of clock cycles per bit for ``baud`` at ``clock_hz``. Raises
    ``ValueError`` when the clock cannot carry that baud rate: fewer than
    :data:`MIN_CYCLES_PER_BIT` cycles per bit, or more than 1 % off."""
    cycles = round(clock_hz / baud) if baud > 0 else 0
    if cycles < MIN_CYCLES_PER_BIT:
        raise ValueError(f"baud {baud}: a {clock_hz / 1e6:g} MHz clock carries at most "
                         f"{clock_hz // MIN_CYCLES_PER_BIT} baud ({MIN_CYCLES_PER_BIT} cycles "
                         "per bit)")
    error = abs(clock_hz / cycles - baud) / baud
    if error > MAX_BAUD_ERROR:
        raise ValueError(f"baud {baud}: a {clock_hz / 1e6:g} MHz clock gives "
                         f"{clock_hz / cycles:.0f} baud at {cycles} cycles per bit, "
                         f"{error:.1%} off; choose a baud rate within 1 % of "
                         f"{clock_hz / 1e6:g} MHz divided by a whole number")
    return cycles


class UARTReceiver(wiring.Component):
    """Receives bytes from ``line`` (idle high), ``period`` cycles per bit.

    The line goes through a two-flip-flop synchronizer; a start bit is confirmed in its
    middle and every bit after it is sampled one period later, so a sender may be a few
    per cent fast or slow. A byte whose stop bit is low is not delivered: ``error``
    pulses instead, and the receiver waits for the line to go high (a break) before it
    looks for the next start bit.

    Members
    -------
    line : ``In(1)``
    data : ``Out(8)``, the last byte received.
    done : ``Out(1)``, pulses for one cycle when ``data`` holds a new byte.
    error : ``Out(1)``, pulses for one cycle on a bad stop bit.
    busy : ``Out(1)``, high from a start bit until the byte is done.
    """
    line: In(1, init=1)
    data: Out(8)
    done: Out(1)
    error: Out(1)
    busy: Out(1)

    def __init__(self, period):
        self.period = period
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        line = Signal(init=1)
        m.submodules.line_sync = FFSynchronizer(self.line, line, init=1)
        timer = Signal(range(self.period))
        bit = Signal(range(8))
        with m.If(timer != 0):
            m.d.sync += timer.eq(timer - 1)
        with m.FSM(name="uart_rx"):
            with m.State("IDLE"):
                with m.If(~line):
                    m.d.sync += timer.eq(self.period // 2 - 1)
                    m.next = "START"
            with m.State("START"):
                m.d.comb += self.busy.eq(1)
                with m.If(timer == 0):
                    m.d.sync += [timer.eq(self.period - 1), bit.eq(0)]
                    with m.If(line):            # a glitch, not a start bit
                        m.next = "IDLE"
                    with m.Else():
                        m.next = "DATA"
            with m.State("DATA"):
                m.d.comb += self.busy.eq(1)
                with m.If(timer == 0):
                    m.d.sync += [self.data.eq(Cat(self.data[1:], line)),
                                 timer.eq(self.period - 1), bit.eq(bit + 1)]
                    with m.If(bit == 7):
                        m.next = "STOP"
            with m.State("STOP"):
                m.d.comb += self.busy.eq(1)
                with m.If(timer == 0):
                    with m.If(line):
                        m.d.comb += self.done.eq(1)
                        m.next = "IDLE"
                    with m.Else():
                        m.d.comb += self.error.eq(1)
                        m.next = "BREAK"
            with m.State("BREAK"):
                with m.If(line):
                    m.next = "IDLE"
        return m


class UARTTransmitter(wiring.Component):
    """Sends the bytes of stream ``i`` on ``line`` (idle high), ``period`` cycles per
    bit, back to back. ``busy`` is high while a byte is on the line.

    Members
    -------
    i : ``In(stream.Signature(8))``
    line : ``Out(1)``
    busy : ``Out(1)``
    """

    def __init__(self, period):
        self.period = period
        super().__init__({"i": In(stream.Signature(8)), "line": Out(1, init=1),
                          "busy": Out(1)})

    def elaborate(self, platform):
        m = Module()
        shift = Signal(10, init=0x3FF)           # stop, data, start: sent from bit 0
        bits_left = Signal(range(11))
        timer = Signal(range(self.period))
        m.d.comb += [self.line.eq(shift[0]), self.busy.eq(bits_left != 0),
                     self.i.ready.eq(bits_left == 0)]
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += [shift.eq(Cat(0, self.i.payload, 1)), bits_left.eq(10),
                         timer.eq(self.period - 1)]
        with m.Elif(bits_left != 0):
            with m.If(timer == 0):
                m.d.sync += [shift.eq(Cat(shift[1:], 1)), bits_left.eq(bits_left - 1),
                             timer.eq(self.period - 1)]
            with m.Else():
                m.d.sync += timer.eq(timer - 1)
        return m
