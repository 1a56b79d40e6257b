"""Design files: load a TOML design, validate it and resolve it into one immutable object.

Every view (hardware, golden models, manifest, CLI) reads its parameters from the
:class:`Design` built here; none re-derives them. The file format is described in
``DESIGN.md`` and in ``examples/``.
"""

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import ClassVar

from .seeded import SEED_MAX, seeded_signs

__all__ = [
    "DesignError", "Vector", "Tap", "Stage", "SignFlip", "FWHT", "Sign", "Pad", "Shift",
    "Design", "load_design", "parse_design", "MAX_WIDTH",
]

MAX_N = 4096
MAX_INPUT_WIDTH = 32
# The golden models compute in int64; an element never needs more than 62 bits.
MAX_WIDTH = 62


class DesignError(ValueError):
    """A design file or design parameter that cannot be accepted. The message is one line."""


@dataclass(frozen=True)
class Vector:
    """The type of the vectors that travel between two stages.

    ``kind`` is ``"int"`` (signed two's-complement elements of ``width`` bits) or ``"bits"``
    (one bit per element, 1 standing for +1). Element ``j`` of a packed vector sits at bits
    ``[j*width +: width]``.
    """
    kind: str
    elements: int
    width: int

    @property
    def signed(self):
        return self.kind == "int"

    @property
    def total_width(self):
        return self.elements * self.width

    def describe(self):
        if self.kind == "bits":
            return f"{self.elements} bits"
        return f"{self.elements} signed {self.width}-bit integers"

    def to_json(self):
        return {
            "kind": self.kind, "elements": self.elements, "width": self.width,
            "signed": self.signed, "total_width": self.total_width,
            "packing": "element j at bits [j*width +: width]",
        }


@dataclass(frozen=True)
class Tap:
    """A pipeline register of a stage: its signal ``name`` inside the stage instance, the
    ``cycle`` (1 .. stage latency) at which it holds a vector that the stage accepted at
    cycle 0 when nothing stalls, and the ``vector`` type it holds. Its valid bit is the
    signal ``name + "_valid"``."""
    name: str
    cycle: int
    vector: Vector

    @property
    def valid_name(self):
        return f"{self.name}_valid"


@dataclass(frozen=True)
class Stage:
    """A resolved stage. ``index`` counts from 1 in the order of the design file."""
    kind: ClassVar[str]
    index: int
    input: Vector
    output: Vector

    @property
    def instance(self):
        """The name of the stage's instance in the design top (and in the Verilog)."""
        return f"s{self.index}_{self.kind}"

    @property
    def taps(self):
        return ()

    @property
    def latency(self):
        return len(self.taps)

    def params(self):
        """The resolved parameters, as JSON-compatible values."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in ("index", "input", "output")}


@dataclass(frozen=True)
class SignFlip(Stage):
    """``y_j = signs[j] * x_j``; one pipeline register (latency 1).

    Overflow: ``"wrap"`` keeps the width (negating the most negative value gives itself);
    ``"grow"`` adds one bit, so nothing is lost."""
    kind: ClassVar[str] = "signflip"
    signs: tuple
    seed: int | None
    overflow: str

    @property
    def taps(self):
        return (Tap("flipped", 1, self.output),)


@dataclass(frozen=True)
class FWHT(Stage):
    """The unnormalized fast Walsh-Hadamard transform in natural (Sylvester) order.

    Level ``s`` pairs elements ``i`` and ``i + 2**s`` (bit ``s`` of ``i`` clear):
    ``(a, b) -> (a + b, a - b)``. A pipeline register follows every ``register`` levels
    and the last level, so the latency is ``ceil(log2(n) / register)``.

    Overflow: ``"wrap"`` computes every level mod ``2**width`` (the input is first read
    mod ``2**width`` too), so the output is exactly ``(H @ x) mod 2**width`` read as signed;
    ``"grow"`` adds one bit per level, so nothing is lost."""
    kind: ClassVar[str] = "fwht"
    overflow: str
    width: int | None
    register: int

    @property
    def levels(self):
        return self.input.elements.bit_length() - 1

    def level_width(self, level):
        """The element width after butterfly level ``level`` (0-based)."""
        if self.overflow == "wrap":
            return self.width
        return self.input.width + level + 1

    def level_vector(self, level):
        """The vector type after butterfly level ``level``."""
        return Vector("int", self.input.elements, self.level_width(level))

    def is_registered(self, level):
        return (level + 1) % self.register == 0 or level == self.levels - 1

    @property
    def taps(self):
        taps = []
        for level in range(self.levels):
            if self.is_registered(level):
                taps.append(Tap(f"level{level}", len(taps) + 1, self.level_vector(level)))
        return tuple(taps)


@dataclass(frozen=True)
class Sign(Stage):
    """``bit_j = 1 if x_j >= 0 else 0`` (bit 1 stands for +1). Combinational (latency 0)."""
    kind: ClassVar[str] = "sign"


@dataclass(frozen=True)
class Pad(Stage):
    """Zero-extends the vector to ``n`` elements. Combinational (latency 0)."""
    kind: ClassVar[str] = "pad"
    n: int


@dataclass(frozen=True)
class Shift(Stage):
    """Arithmetic shift right by ``bits`` (floor division by ``2**bits``); the result is
    ``bits`` narrower, which loses nothing. Combinational (latency 0)."""
    kind: ClassVar[str] = "shift"
    bits: int


@dataclass(frozen=True)
class Design:
    """A validated design: ``name``, input vectors of ``n`` signed ``input_width``-bit
    elements, ``parallelism`` elements per beat, and the resolved ``stages`` in order."""
    name: str
    n: int
    input_width: int
    parallelism: int
    stages: tuple

    @property
    def input(self):
        return Vector("int", self.n, self.input_width)

    @property
    def output(self):
        return self.stages[-1].output

    @property
    def latency(self):
        return sum(stage.latency for stage in self.stages)

    def stage_offset(self, stage):
        """Cycles from the top's input to ``stage``'s input when nothing stalls."""
        return sum(s.latency for s in self.stages[:stage.index - 1])

    def describe(self):
        return {
            "name": self.name, "n": self.n, "input_width": self.input_width,
            "parallelism": self.parallelism,
            "stages": [{"kind": s.kind, **s.params()} for s in self.stages],
        }

    @property
    def digest(self):
        """SHA-256 of the resolved design: equal for designs that generate equal hardware."""
        text = json.dumps(self.describe(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


# --- parsing -------------------------------------------------------------------------

_REQUIRED = object()
_NAME = re.compile(r"[a-z][a-z0-9_]*")


def _show(value):
    if isinstance(value, (str, bool, int, float)) or value is None:
        return json.dumps(value)
    text = json.dumps(value) if isinstance(value, (list, dict)) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_power_of_two(value):
    return value > 0 and value & (value - 1) == 0


class _Keys:
    """Reads the keys of one TOML table, each once, and names the table in every error."""

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
        self.fail(f"{key} = {_show(value)}: {rule}")

    def int(self, key, lo, hi, rule=None, default=_REQUIRED, power_of_two=False):
        if rule is None:
            kind = "a power of two" if power_of_two else "an integer"
            rule = f"must be {kind} from {lo} to {hi}"
        value = self.get(key, rule, default)
        if value is default and default is not _REQUIRED:
            return value
        if (not _is_int(value) or not lo <= value <= hi
                or (power_of_two and not _is_power_of_two(value))):
            self.bad(key, value, rule)
        return value

    def choice(self, key, choices, default=_REQUIRED):
        rule = "must be one of " + ", ".join(json.dumps(c) for c in choices)
        value = self.get(key, rule, default)
        if value not in choices or not isinstance(value, str):
            self.bad(key, value, rule)
        return value

    def finish(self):
        unknown = [key for key in self.table if key not in self.known]
        if unknown:
            self.fail(f"unknown key {unknown[0]!r}; allowed keys: {', '.join(self.known)}")


def _need_int_vector(keys, vector):
    if vector.kind != "int":
        keys.fail(f"needs a vector of integers, but its input is {vector.describe()}")


def _signflip(keys, index, x):
    _need_int_vector(keys, x)
    has_seed, has_signs = "seed" in keys.table, "signs" in keys.table
    if has_seed == has_signs:
        keys.fail("needs exactly one of 'seed' (an integer from 0 to 2**64-1) "
                  f"and 'signs' (a list of {x.elements} entries, each 1 or -1)")
    seed = keys.int("seed", 0, SEED_MAX, rule="must be an integer from 0 to 2**64-1",
                    default=None)
    signs = keys.get("signs", "", default=None)
    if signs is None:
        signs = tuple(int(s) for s in seeded_signs(seed, x.elements))
    else:
        if not isinstance(signs, list) or len(signs) != x.elements:
            count = f"{len(signs)} entries" if isinstance(signs, list) else "not a list"
            keys.fail(f"signs has {count}: it must be a list of exactly {x.elements} "
                      "entries (one per element), each 1 or -1")
        for j, s in enumerate(signs):
            if not _is_int(s) or s not in (1, -1):
                keys.fail(f"signs[{j}] = {_show(s)}: each sign must be 1 or -1")
        signs = tuple(signs)
    overflow = keys.choice("overflow", ("wrap", "grow"), default="wrap")
    width = x.width + (overflow == "grow")
    if width > MAX_WIDTH:
        keys.fail(f"overflow = \"grow\" would make {width}-bit elements; "
                  f"at most {MAX_WIDTH} bits are allowed")
    return SignFlip(index, x, Vector("int", x.elements, width), signs, seed, overflow)


def _fwht(keys, index, x):
    _need_int_vector(keys, x)
    levels = x.elements.bit_length() - 1
    overflow = keys.choice("overflow", ("wrap", "grow"), default="wrap")
    if overflow == "wrap":
        width = keys.int("width", 2, MAX_WIDTH, default=x.width)
        out_width = width
    else:
        width = None
        if "width" in keys.table:
            keys.fail(f"width = {_show(keys.table['width'])}: width applies only to "
                      "overflow = \"wrap\"; with \"grow\" each level adds one bit")
        keys.known.append("width")
        out_width = x.width + levels
        if out_width > MAX_WIDTH:
            keys.fail(f"overflow = \"grow\" would make {out_width}-bit elements; "
                      f"at most {MAX_WIDTH} bits are allowed")
    register = keys.int("register", 1, levels, default=1, rule=(
        f"must be an integer from 1 to {levels} (log2 of {x.elements} elements): "
        "a pipeline register after every that many butterfly levels"))
    return FWHT(index, x, Vector("int", x.elements, out_width), overflow, width, register)


def _sign(keys, index, x):
    _need_int_vector(keys, x)
    return Sign(index, x, Vector("bits", x.elements, 1))


def _pad(keys, index, x):
    _need_int_vector(keys, x)
    n = keys.int("n", x.elements * 2, MAX_N, power_of_two=True, rule=(
        f"must be a power of two larger than the incoming {x.elements} elements "
        f"and at most {MAX_N}"))
    return Pad(index, x, Vector("int", n, x.width), n)


def _shift(keys, index, x):
    _need_int_vector(keys, x)
    bits = keys.int("bits", 1, x.width - 1, rule=(
        f"must be an integer from 1 to {x.width - 1} (the incoming elements have "
        f"{x.width} bits)"))
    return Shift(index, x, Vector("int", x.elements, x.width - bits), bits)


_STAGE_PARSERS = {
    "signflip": _signflip, "fwht": _fwht, "sign": _sign, "pad": _pad, "shift": _shift,
}


def parse_design(table, source="design"):
    """Validates a design given as the parsed TOML ``table``; ``source`` names it in errors.

    Raises :class:`DesignError` naming the key, the value and what is allowed."""
    keys = _Keys(table, source)
    name = keys.get("name", "the Verilog top name, matching [a-z][a-z0-9_]*")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        keys.bad("name", name, "must match [a-z][a-z0-9_]* (it names the Verilog top)")
    n = keys.int("n", 2, MAX_N, power_of_two=True)
    input_width = keys.int("input_width", 2, MAX_INPUT_WIDTH)
    parallelism = keys.int("parallelism", 1, n, power_of_two=True, default=n)
    if parallelism != n:
        keys.fail(f"parallelism = {parallelism}: only the fully parallel form "
                  f"(parallelism = n = {n}) is supported so far")
    stage_tables = keys.get("stage", "at least one [[stage]] table")
    keys.finish()
    if not isinstance(stage_tables, list) or not stage_tables:
        keys.fail("'stage' must be a non-empty array of tables, written [[stage]]")

    stages = []
    x = Vector("int", n, input_width)
    for index, stage_table in enumerate(stage_tables, start=1):
        if not isinstance(stage_table, dict):
            keys.fail(f"stage {index} must be a table, written [[stage]]")
        kind = stage_table.get("kind")
        known = isinstance(kind, str) and kind in _STAGE_PARSERS
        where = f"{source}: stage {index}" + (f" ({kind})" if known else "")
        stage_keys = _Keys(stage_table, where)
        kind = stage_keys.choice("kind", tuple(_STAGE_PARSERS))
        stage = _STAGE_PARSERS[kind](stage_keys, index, x)
        stage_keys.finish()
        stages.append(stage)
        x = stage.output
    return Design(name, n, input_width, parallelism, tuple(stages))


def load_design(path):
    """Reads and validates the design file at ``path``. Raises :class:`DesignError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DesignError(f"{path}: no such design file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DesignError(f"{path}: cannot read the design file: {error}") from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DesignError(f"{path}: not valid TOML: {error}") from None
    return parse_design(table, source=str(path))
