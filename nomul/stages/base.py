"""What every stage kind shares: the vector types between stages, taps, the stage base
class and the reader of a stage's TOML table.

A stage kind is one :class:`Stage` subclass (in its own module of this package) that
parses its table (:meth:`Stage.parse`), derives its output type, taps, latency and
interval from its parameters, and knows its floor (:mod:`nomul.resources`). Its hardware
is in ``hdl/``, its golden function in ``golden/functional.py`` and its independent
definition in ``tests/reference.py``, each found by ``kind``.
"""

import json
from dataclasses import dataclass, field, fields
from typing import ClassVar

__all__ = ["DesignError", "Vector", "Tap", "Stage", "Keys", "MAX_N", "MAX_INPUT_WIDTH",
           "MAX_WIDTH", "MAX_SIGNAL_BITS", "tree_levels", "index_width", "Register",
           "DelayFeedback", "Fold", "PadBeats", "Skid", "counter_bits"]

MAX_N = 4096
MAX_INPUT_WIDTH = 32
# The golden models compute in int64; an element never needs more than 62 bits.
MAX_WIDTH = 62
# Amaranth 0.5 builds every signal as one netlist cell, of at most 65535 bits.
MAX_SIGNAL_BITS = 65535


class DesignError(ValueError):
    """A design file or design parameter that cannot be accepted. The message is one line."""


@dataclass(frozen=True)
class Vector:
    """The type of the vectors that travel between two stages (or sit in a register).

    ``kind`` is one of:

    - ``"int"``: signed two's-complement elements of ``width`` bits;
    - ``"uint"``: unsigned elements of ``width`` bits (popcounts);
    - ``"bits"``: one bit per element, 1 standing for +1;
    - ``"struct"``: unsigned elements that pack the ``fields`` (``(name, width, signed)``,
      lowest bits first), such as the argmax result ``index`` and ``negative``.

    Element ``j`` of a packed vector sits at bits ``[j*width +: width]``. A vector crosses
    a stream port as ``beats`` transfers of ``lanes`` elements (default: all of them in
    one beat); beat ``b`` carries elements ``b*lanes .. b*lanes + lanes - 1``.
    """
    kind: str
    elements: int
    width: int
    fields: tuple = ()
    lanes: int = None

    def __post_init__(self):
        if self.lanes is None:
            object.__setattr__(self, "lanes", self.elements)

    @property
    def signed(self):
        return self.kind == "int"

    @property
    def total_width(self):
        return self.elements * self.width

    @property
    def beats(self):
        return self.elements // self.lanes

    @property
    def beat(self):
        """The type of one beat: ``lanes`` elements, in one beat."""
        return Vector(self.kind, self.lanes, self.width, self.fields)


    def describe(self):
        beats = "" if self.beats == 1 else f" ({self.beats} beats of {self.lanes})"
        if self.kind == "bits":
            return f"{self.elements} bits{beats}"
        if self.kind == "struct":
            names = "+".join(name for name, _, _ in self.fields)
            return f"{self.elements} x {self.width}-bit ({names}){beats}"
        sign = "signed" if self.signed else "unsigned"
        return f"{self.elements} {sign} {self.width}-bit integers{beats}"

    def to_json(self):
        packing = ("element j at bits [j*width +: width]" if self.beats == 1 else
                   "lane k of beat b (element b*lanes + k) at bits [k*width +: width] of "
                   "the beat")
        description = {
            "kind": self.kind, "elements": self.elements, "width": self.width,
            "signed": self.signed, "total_width": self.total_width,
            "packing": packing, "lanes": self.lanes, "beats": self.beats,
            "beat_width": self.lanes * self.width,
        }
        if self.fields:
            offset, fields_json = 0, []
            for name, width, signed in self.fields:
                fields_json.append({"name": name, "offset": offset, "width": width,
                                    "signed": signed})
                offset += width
            description["fields"] = fields_json
        return description


@dataclass(frozen=True)
class Tap:
    """A pipeline register of a stage: its signal ``name`` inside the stage instance, the
    ``cycle`` (1 .. stage latency) at which it first holds (beat 0 of) a vector whose
    first beat the stage accepted at cycle 0 when nothing stalls, and the ``vector`` type
    it holds: one beat of ``vector.elements`` elements, ``beats`` of them per vector (beat
    ``b`` holds elements ``b*vector.elements ..`` of what the golden model gives the tap).
    Its valid bit is the signal ``name + "_valid"``."""
    name: str
    cycle: int
    vector: Vector
    beats: int = 1

    @property
    def valid_name(self):
        return f"{self.name}_valid"


# --- reading a stage's table ----------------------------------------------------------

_REQUIRED = object()


def show(value):
    """``value`` as it would be written in TOML, cut to 40 characters."""
    if isinstance(value, (str, bool, int, float)) or value is None:
        return json.dumps(value)
    text = json.dumps(value) if isinstance(value, (list, dict)) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def is_power_of_two(value):
    return value > 0 and value & (value - 1) == 0


class Keys:
    """Reads the keys of one TOML table, each once, and names the table in every error."""
    REQUIRED = _REQUIRED

    def __init__(self, table, where):
        self.table = dict(table)
        self.where = where
        self.known = []

    def fail(self, message):
        raise DesignError(f"{self.where}: {message}")

    def get(self, key, rule, default=_REQUIRED):
        self.known.append(key)
        if key not in self.table:
            if default is _REQUIRED:
                self.fail(f"missing key {key!r}: {rule}")
            return default
        return self.table[key]

    def bad(self, key, value, rule):
        self.fail(f"{key} = {show(value)}: {rule}")

    def int(self, key, lo, hi, rule=None, default=_REQUIRED, power_of_two=False):
        if rule is None:
            kind = "a power of two" if power_of_two else "an integer"
            rule = f"must be {kind} from {lo} to {hi}"
        value = self.get(key, rule, default)
        if value is default and default is not _REQUIRED:
            return value
        if (not is_int(value) or not lo <= value <= hi
                or (power_of_two and not is_power_of_two(value))):
            self.bad(key, value, rule)
        return value

    def choice(self, key, choices, default=_REQUIRED):
        rule = "must be one of " + ", ".join(json.dumps(c) for c in choices)
        value = self.get(key, rule, default)
        if value not in choices or not isinstance(value, str):
            self.bad(key, value, rule)
        return value

    def boolean(self, key, default=_REQUIRED):
        value = self.get(key, "true or false", default)
        if not isinstance(value, bool):
            self.bad(key, value, "must be true or false")
        return value

    def register(self, levels, what):
        """The ``register`` key: a pipeline register after every that many of ``levels``."""
        return self.int("register", 1, levels, default=1, rule=(
            f"must be an integer from 1 to {levels} (the levels of {what}): a pipeline "
            "register after every that many levels"))

    def need_int_vector(self, vector):
        if vector.kind != "int":
            self.fail(f"needs a vector of signed integers, but its input is "
                      f"{vector.describe()}")

    def need_bits(self, vector):
        if vector.kind != "bits":
            self.fail("needs a vector of bits (from a sign stage or a threshold layer), but "
                      f"its input is {vector.describe()}")

    def finish(self):
        unknown = [key for key in self.table if key not in self.known]
        if unknown:
            self.fail(f"unknown key {unknown[0]!r}; allowed keys: {', '.join(self.known)}")


# --- stages ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Stage:
    """A resolved stage. ``index`` counts from 1 in the order of the design file; the
    other fields are the kind's resolved parameters. The output type, taps, latency and
    interval follow from them."""
    kind: ClassVar[str]
    index: int
    input: Vector
    # A skid buffer after the stage (registers "buffer" and "buffer_spare"): its i.ready
    # comes from a register, which cuts the combinational ready path through the design.
    skid: bool = field(default=False, kw_only=True)

    @classmethod
    def parse(cls, keys, index, x, base):
        """The stage at ``index`` of this kind for input vectors ``x``, from its table
        read through ``keys`` (a :class:`Keys`); files are relative to ``base``."""
        raise NotImplementedError

    @property
    def output(self):
        """The :class:`Vector` type of the stage's output."""
        raise NotImplementedError

    @property
    def instance(self):
        """The name of the stage's instance in the design top (and in the Verilog)."""
        return f"s{self.index}_{self.kind}"

    @property
    def form(self):
        """``"parallel"`` when every vector crosses both ports in one beat, else
        ``"streaming"`` (folded over beats)."""
        return "parallel" if self.input.beats == 1 and self.output.beats == 1 else "streaming"

    def units(self):
        """The stage's timing, as the cycle model runs it: a tuple of :class:`Register`,
        :class:`DelayFeedback`, :class:`Fold`, :class:`PadBeats` and, last, a
        :class:`Skid` buffer when ``skid`` is set; input side first."""
        core = self.core_units()
        if not self.skid:
            return core
        cycle, out = sum(unit.latency for unit in core) + 1, self.output
        return core + (Skid(Tap("buffer", cycle, out.beat, out.beats),
                            Tap("buffer_spare", cycle, out.beat, out.beats)),)

    def core_units(self):
        """The units of the kind itself (none: combinational)."""
        return ()

    @property
    def taps(self):
        """The registers of the stage, in the order of its units."""
        taps = []
        for unit in self.units():
            if isinstance(unit, Fold):
                taps += [unit.partial, unit.result]
            elif isinstance(unit, Skid):
                taps += [unit.main, unit.spare]
            elif not isinstance(unit, PadBeats):
                taps.append(unit.tap)
        return tuple(taps)

    @property
    def latency(self):
        """Cycles from a vector's first input beat to its first output beat, at full rate."""
        return sum(unit.latency for unit in self.units())

    @property
    def interval(self):
        """Cycles between the first beats of consecutive vectors at full rate."""
        return max(self.input.beats, self.output.beats)

    def signals(self):
        """``(what, Vector)`` of every vector (one beat of it) the hardware holds in one
        signal."""
        return [("its input", self.input.beat), ("its output", self.output.beat)]

    def scratch_elements(self):
        """Values per vector the golden function holds besides the output and taps (for
        its memory budget)."""
        return 0

    def params(self):
        """The resolved parameters, as JSON-compatible values (``skid`` only when set)."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in ("index", "input") and not (f.name == "skid" and not self.skid)}

    # The floor (nomul.resources): what the hardware of this stage needs.

    def significant_bits(self, sig_in):
        """The significant bits of each output element (0: always zero), given those of
        the input elements; the bits above are copies of the sign bit."""
        return [self.output.width] * self.output.elements

    def needed_bits(self, need_out, sig_in):
        """``(needed bits per input element, {tap: needed bits per element}, adder bits)``
        for ``need_out``, the needed bits (a mask) of each output element. By default
        every bit of every register and of the input is needed once any output bit is."""
        every_bit = (1 << self.input.width) - 1 if any(need_out) else 0
        taps = ({tap.name: [(1 << tap.vector.width) - 1] * tap.vector.elements
                 for tap in self.taps} if every_bit else {})
        return [every_bit] * self.input.elements, taps, self.adder_bits()

    def adder_bits(self):
        """Adder and comparator bits of the stage when all of its output is needed."""
        return 0

    def streaming_adder_bits(self, parallel_bits):
        """The adder bits of the streaming form, from ``parallel_bits`` (those of the
        parallel form): one lane's hardware serves every beat."""
        return -(-parallel_bits * self.input.lanes // self.input.elements)

    def state_bits(self):
        """Flip-flops beyond the taps: beat counters and delay lines in registers."""
        return 0

    def memory_bits(self):
        """Bits of block RAM the stage needs (deep delay lines, ROMs)."""
        return 0

    def beat_rom(self):
        """The ROM a streaming form reads one word of per beat, as ``(name, width,
        words)``, or None (the hardware's signal ``<name>_word`` holds the word of the
        beat in its register ``beat``)."""
        return None

    def element_names(self, x, names):
        """``(output names, {tap: names per element})`` for input names ``x``: equal
        names for elements that are equal by construction (a
        :class:`nomul.resources.Names`)."""
        raise NotImplementedError


# --- timing units (modelled by golden.cycle, built by hdl) -----------------------------

@dataclass(frozen=True)
class Register:
    """A pipeline register (``tap``): it takes the beat before it on every step."""
    tap: Tap
    latency: ClassVar[int] = 1


@dataclass(frozen=True)
class DelayFeedback:
    """A single-path delay-feedback butterfly over beats ``span`` apart, ending in the
    register ``tap``; ``beats`` per vector. Per step with beat ``b`` valid at its input:
    when bit ``log2(span)`` of ``b`` is set it outputs ``a + b`` (``a`` from its delay
    line of ``span`` beats) and keeps ``a - b``; otherwise it outputs the oldest kept
    difference (valid if one is pending) and stores the beat. A step with no beat shifts
    the delay line only at the start of a block of ``2 * span`` beats (draining kept
    differences); elsewhere it holds. Latency ``span + 1``."""
    tap: Tap
    span: int
    beats: int

    @property
    def latency(self):
        return self.span + 1


@dataclass(frozen=True)
class Fold:
    """Folds the ``beats`` beats of a vector into one result: ``partial`` (a register
    tap holding the fold of beats ``0 .. b``, valid until the last beat) and ``result``
    (the register tap that receives the fold of all beats). Latency ``beats``."""
    partial: Tap
    result: Tap
    beats: int

    @property
    def latency(self):
        return self.beats


@dataclass(frozen=True)
class Skid:
    """A skid buffer after the stage: ``main`` drives the stage's output, ``spare`` takes
    the beat that arrives while ``main`` waits. The stage's registers advance when
    ``spare`` is empty or their last register holds nothing (a register, not the
    downstream ``ready``, decides). Latency 1; ``spare`` holds a beat only while the
    output stalls."""
    main: Tap
    spare: Tap
    latency: ClassVar[int] = 1


@dataclass(frozen=True)
class PadBeats:
    """Passes the ``beats_in`` beats of a vector, then emits zero beats up to
    ``beats_out`` while it takes no input. Combinational: latency 0."""
    beats_in: int
    beats_out: int
    latency: ClassVar[int] = 0


def counter_bits(count):
    """Bits of a counter from 0 to ``count - 1`` (none for a count of 1)."""
    return (count - 1).bit_length()


def tree_levels(leaves):
    """Levels of a binary reduction tree over ``leaves`` (at least one)."""
    return max(1, (leaves - 1).bit_length())


def index_width(count):
    """Bits of an index into ``count`` elements (at least one)."""
    return max(1, (count - 1).bit_length())


class Registered:
    """Stages of ``levels`` levels with a register after every ``register`` levels and
    after the last."""

    def is_registered(self, level):
        return (level + 1) % self.register == 0 or level == self.levels - 1


class Tree(Registered):
    """A reduction tree over ``leaves``: here a pair tree, level ``k`` combining aligned
    blocks of ``2**(k+1)`` leaves (argmax; the folded form's tree over a beat's lanes);
    a stage may shape its parallel tree otherwise (``xnor_popcount``'s carry tree
    overrides ``levels``, ``terms`` and the level vectors). Its registers are the taps
    ``level<k>`` and, last, ``result``."""

    @property
    def levels(self):
        return tree_levels(self.leaves)

    def terms(self, level):
        """Partial results after ``level``."""
        return -(-self.leaves // 2 ** (level + 1))

    @property
    def folded(self):
        """Whether the vector arrives in several beats (folded form): a tree over the
        ``lanes`` of each beat, then a fold over the beats."""
        return self.input.beats > 1

    @property
    def lane_levels(self):
        """Levels of the tree over the lanes of one beat (folded form)."""
        return self.input.lanes.bit_length() - 1

    def is_lane_registered(self, level):
        """Folded form: whether level ``level`` of the tree over one beat's lanes ends in
        a register (every ``register`` levels; the fold after the last is a register)."""
        return (level + 1) % self.register == 0

    def core_units(self):
        if not self.folded:
            taps = []
            for level in range(self.levels - 1):
                if self.is_registered(level):
                    taps.append(Tap(f"level{level}", len(taps) + 1, self.level_vector(level)))
            return tuple(map(Register, taps)) + (
                Register(Tap("result", len(taps) + 1, self.output)),)
        beats, units = self.input.beats, list(self.beat_units())
        for level in range(self.lane_levels):
            if self.is_lane_registered(level):
                units.append(Register(Tap(f"level{level}", len(units) + 1,
                                          self.beat_level_vector(level), beats)))
        cycle = len(units)
        return tuple(units) + (Fold(Tap(self.partial_name, cycle + 1, self.partial_vector,
                                        beats),
                                    Tap("result", cycle + beats, self.output), beats),)

    def beat_units(self):
        """Registers before the tree in the folded form."""
        return ()

    def beat_signals(self):
        """Other one-signal vectors of the folded form (a ROM word)."""
        return []

    def state_bits(self):
        """Folded: the beat counters at the input and at the fold, and the fold's first
        and last flags."""
        return 2 * counter_bits(self.input.beats) + 2 if self.folded else 0

    def signals(self):
        if self.folded:
            levels = [(f"level {level}", self.beat_level_vector(level))
                      for level in range(self.lane_levels)]
            return ([("its input", self.input.beat)] + self.beat_signals() + levels
                    + [(f"register {tap.name}", tap.vector) for tap in self.taps])
        levels = [(f"level {level}", self.level_vector(level))
                  for level in range(self.levels - 1)]
        return [("its input", self.input), *levels, ("its output", self.output)]

    def reduce_names(self, items, names, combine):
        """Names after each level of the tree for the leaf names ``items`` (one list per
        group, e.g. per neuron), combining pairs with ``combine``; ``(last, taps)``."""
        taps = {}
        for level in range(self.levels - 1):
            items = [[combine(*pair) if len(pair) == 2 else pair[0]
                      for pair in (group[t:t + 2] for t in range(0, len(group), 2))]
                     for group in items]
            if self.is_registered(level):
                taps[f"level{level}"] = [t for group in items for t in group]
        return items, taps
