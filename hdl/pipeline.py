"""Shared pieces of every stage: payload layouts and the stalling pipeline register chain."""

from amaranth import Cat, Const, Mux, Signal, Value, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

__all__ = ["layout", "fit", "tap_register", "beat_counter", "BeatPosition",
           "Pipeline", "PipelinedStage"]


def layout(vector):
    """The payload layout of one beat of a :class:`nomul.stages.Vector` (its ``lanes``
    elements): ``ArrayLayout(signed(w), lanes)`` for signed integers,
    ``ArrayLayout(unsigned(w), lanes)`` for unsigned ones, ``unsigned(lanes)`` (element
    ``j`` in bit ``j``) for bits, and a ``StructLayout`` of the fields (an ``ArrayLayout``
    of them for several lanes) for structs."""
    lanes = vector.lanes
    if vector.kind == "bits":
        return unsigned(lanes)
    if vector.kind == "struct":
        struct = data.StructLayout({name: signed(width) if is_signed else unsigned(width)
                                    for name, width, is_signed in vector.fields})
        return struct if lanes == 1 else data.ArrayLayout(struct, lanes)
    shape = signed(vector.width) if vector.signed else unsigned(vector.width)
    return data.ArrayLayout(shape, lanes)


def fit(value, width):
    """The bits of ``value`` mod ``2**width``: cut when it is wider, extended (by sign or
    by zeros, as its shape says) when it is narrower; for concatenating elements into one
    assignment."""
    if len(value) >= width:
        return value[:width]
    if value.shape().signed:
        return Cat(value, value[-1].replicate(width - len(value)))
    return Cat(value, Const(0, width - len(value)))


def tap_register(tap):
    """The payload register of ``tap`` (a :class:`nomul.stages.Tap`) and its valid bit,
    named after the tap. Payload registers have no reset: a payload counts only while
    its valid bit is set."""
    return (Signal(layout(tap.vector), name=tap.name, reset_less=True),
            Signal(name=tap.valid_name))


def beat_counter(m, name, beats, step):
    """A counter of beats from 0 to ``beats - 1`` and back, moving on when ``step`` is
    high; reset restarts it."""
    count = Signal(range(beats), name=name)
    with m.If(step):
        m.d.sync += count.eq(Mux(count == beats - 1, 0, count + 1))
    return count


class BeatPosition:
    """Where the next beat falls in its vector of ``beats`` beats (at least 2): ``first``
    and ``last`` are registers, so decisions on them start at a flip-flop; both move on
    when ``step`` is high, and reset puts them at the start of a vector."""

    def __init__(self, m, name, beats, step):
        self.count = Signal(range(beats), name=f"{name}_beat")
        self.first = Signal(name=f"{name}_first", init=1)
        self.last = Signal(name=f"{name}_last", init=beats == 1)
        with m.If(step):
            m.d.sync += [
                self.count.eq(Mux(self.last, 0, self.count + 1)),
                self.first.eq(self.last),
                self.last.eq(self.count == beats - 2),
            ]


class Pipeline:
    """The registers of one stage, which all load together when the stage advances.

    Contract (modelled by ``golden.cycle``)::

        advance = o.ready | ~o.valid        i.ready = advance

    so a full pipeline takes one beat per cycle while ``o.ready`` is high, holds
    everything while the output waits, and lets bubbles fill. With a skid buffer
    (``skid``: its two registers) the rule becomes ``advance = ~spare.valid | ~last.valid``
    and ``o`` comes from the buffer (see :class:`nomul.stages.base.Skid`).
    """

    def __init__(self, m, i, o, skid=None):
        self._m = m
        self._i = i
        self._o = o
        self._valid = i.valid
        self._skid = skid
        self.advance = Signal()

    def load(self, valid, statements):
        """Puts ``statements`` (the assignments of one register) and its ``valid`` bit in
        the chain, after the registers loaded so far."""
        with self._m.If(self.advance):
            self._m.d.sync += statements
            self._m.d.sync += valid.eq(self._valid)
        self._valid = valid

    def unit(self, valid):
        """Continues the chain after a unit that loads its own registers under
        ``advance``, with ``valid`` the valid bit of what it holds last; returns the valid
        bit of what the unit takes (that of the register before it, or ``i.valid``)."""
        taken, self._valid = self._valid, valid
        return taken

    def output(self, value):
        """Drives the stage's output stream from ``value`` (the last register), or
        through the skid buffer when there is one."""
        m = self._m
        if self._skid:
            return self._skid_output(value)
        m.d.comb += [
            self._o.payload.eq(value),
            self._o.valid.eq(self._valid),
            self.advance.eq(self._o.ready | ~self._o.valid),
            self._i.ready.eq(self.advance),
        ]

    def _skid_output(self, value):
        """The skid buffer (see :class:`nomul.stages.base.Skid`): ``main`` drives ``o``;
        ``spare`` catches the beat that arrives while ``main`` waits. The registers before
        it advance when ``spare`` is empty (a register) or their last one holds nothing."""
        m = self._m
        (main, main_valid), (spare, spare_valid) = self._skid
        takes = ~spare_valid
        m.d.comb += [
            self._o.payload.eq(main),
            self._o.valid.eq(main_valid),
            self.advance.eq(takes | ~self._valid),
            self._i.ready.eq(self.advance),
        ]
        with m.If(self._o.ready | ~main_valid):
            with m.If(spare_valid):
                m.d.sync += [Value.cast(main).eq(spare), main_valid.eq(1), spare_valid.eq(0)]
            with m.Else():
                m.d.sync += [Value.cast(main).eq(value), main_valid.eq(self._valid)]
        with m.Elif(takes & self._valid):
            m.d.sync += [Value.cast(spare).eq(value), spare_valid.eq(1)]


class PipelinedStage(wiring.Component):
    """Base of the stages with registers: stream ports ``i`` and ``o`` of the stage's
    vector types, and one register (with valid bit) per tap of the stage, made here so
    that the design top and testbenches can reach them before elaboration (``taps``)."""

    def __init__(self, stage):
        self.stage = stage
        self._taps = {tap.name: tap_register(tap) for tap in stage.taps}
        super().__init__({
            "i": In(stream.Signature(layout(stage.input))),
            "o": Out(stream.Signature(layout(stage.output))),
        })

    @property
    def taps(self):
        """``{tap name: (payload register, valid bit)}``."""
        return dict(self._taps)

    def beat_index(self, m):
        """A counter of the beats taken in: the index (in its vector) of the next one.
        Reset restarts it."""
        return beat_counter(m, "beat_index", self.stage.input.beats,
                            self.i.valid & self.i.ready)

    def beat_rom(self, m, pipe):
        """The stage's ROM (:meth:`nomul.stages.Stage.beat_rom`: one word per beat, in
        block RAM where the tools can), read at the beat index as the beat enters the
        stage's first register: its word (signal ``<name>_word``) belongs to the beat
        that register holds."""
        name, width, words = self.stage.beat_rom()
        rom = Memory(shape=unsigned(width), depth=len(words), init=words,
                     attrs={"rom_style": "block"})
        m.submodules[name] = rom
        read = rom.read_port()
        word = Signal(width, name=f"{name}_word")
        m.d.comb += [read.addr.eq(self.beat_index(m)), read.en.eq(pipe.advance),
                     word.eq(read.data)]
        return word

    def pipeline(self, m):
        """The :class:`Pipeline` of the stage's registers, ending in its skid buffer when
        the stage has one."""
        skid = ((self._taps["buffer"], self._taps["buffer_spare"]) if self.stage.skid
                else None)
        return Pipeline(m, self.i, self.o, skid)

    def level(self, m, pipe, name, vector, registered, value):
        """The signal ``name`` holding ``value`` (bits of a ``vector``): the tap register
        loaded through ``pipe`` when ``registered``, else a combinational signal. One
        assignment for the whole vector: per-element assignments cost quadratic time in
        Amaranth's elaboration."""
        if registered:
            signal, valid = self._taps[name]
            pipe.load(valid, Value.cast(signal).eq(value))
        else:
            signal = Signal(layout(vector), name=name)
            m.d.comb += Value.cast(signal).eq(value)
        return signal
