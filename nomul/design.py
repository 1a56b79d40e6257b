"""Design files: load a TOML design, validate it and resolve it into one immutable object.

Every view (hardware, golden models, manifest, CLI) reads its parameters from the
:class:`Design` built here; none re-derives them. The file format is described in
``DESIGN.md`` and in ``examples/``.
"""

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .files import InputFileError, load_npy, read_text
from .seeded import SEED_MAX, seeded_bits, seeded_signs
from .stages import (FWHT, Argmax, Pad, Shift, Sign, SignFlip, Vector, XnorPopcount,
                     index_width, tree_levels)

__all__ = ["DesignError", "Design", "load_design", "parse_design", "MAX_WIDTH"]

MAX_N = 4096
# Amaranth 0.5 builds every signal as one netlist cell, of at most 65535 bits.
MAX_SIGNAL_BITS = 65535
MAX_INPUT_WIDTH = 32
# The golden models compute in int64; an element never needs more than 62 bits.
MAX_WIDTH = 62


class DesignError(ValueError):
    """A design file or design parameter that cannot be accepted. The message is one line."""


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
        keys.fail(f"needs a vector of signed integers, but its input is {vector.describe()}")


def _need_bits(keys, vector):
    if vector.kind != "bits":
        keys.fail("needs a vector of bits (from a sign stage or a threshold layer), but its "
                  f"input is {vector.describe()}")


def _register(keys, levels, what):
    return keys.int("register", 1, levels, default=1, rule=(
        f"must be an integer from 1 to {levels} (the levels of {what}): a pipeline "
        "register after every that many levels"))


def _load_weights(keys, name, base, outputs, inputs):
    """The weights file ``name`` (relative to ``base``) as row integers, and its SHA-256."""
    path = base / name
    label = f"weights = {_show(name)}"

    def check(shape, dtype):
        if shape != (outputs, inputs):
            keys.fail(f"{label} has shape {shape}: it must be outputs x N = ({outputs}, "
                      f"{inputs}), one row of 0/1 per neuron over the {inputs} incoming bits")
        if not (np.issubdtype(dtype, np.integer) or dtype == bool):
            keys.fail(f"{label} holds {dtype}: weights must be integers 0 or 1 "
                      "(1 stands for +1)")

    try:
        weights = load_npy(path, "weights file", check)
    except InputFileError as error:
        keys.fail(f"{label}: {error}")
    bad = np.argwhere((weights != 0) & (weights != 1))
    if len(bad):
        m, j = bad[0]
        keys.fail(f"{label}: element [{m}, {j}] = {weights[m, j]}: weights "
                  "must be 0 or 1 (1 stands for +1)")
    return _rows(weights), hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(bits):
    """Each row of a 0/1 matrix as an integer with column ``j`` in bit ``j``."""
    return tuple(sum(int(b) << j for j, b in enumerate(row)) for row in bits.tolist())


def _signflip(keys, index, x, base):
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


def _fwht(keys, index, x, base):
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
    register = _register(keys, levels, f"the butterfly over {x.elements} elements")
    return FWHT(index, x, Vector("int", x.elements, out_width), overflow, width, register)


def _sign(keys, index, x, base):
    _need_int_vector(keys, x)
    return Sign(index, x, Vector("bits", x.elements, 1))


def _pad(keys, index, x, base):
    _need_int_vector(keys, x)
    n = keys.int("n", x.elements * 2, MAX_N, power_of_two=True, rule=(
        f"must be a power of two larger than the incoming {x.elements} elements "
        f"and at most {MAX_N}"))
    return Pad(index, x, Vector("int", n, x.width), n)


def _shift(keys, index, x, base):
    _need_int_vector(keys, x)
    bits = keys.int("bits", 1, x.width - 1, rule=(
        f"must be an integer from 1 to {x.width - 1} (the incoming elements have "
        f"{x.width} bits)"))
    return Shift(index, x, Vector("int", x.elements, x.width - bits), bits)


def _xnor_popcount(keys, index, x, base):
    _need_bits(keys, x)
    inputs = x.elements
    outputs = keys.int("outputs", 1, MAX_N)
    has_seed, has_weights = "seed" in keys.table, "weights" in keys.table
    if has_seed == has_weights:
        keys.fail("needs exactly one of 'weights' (a .npy file of outputs x N zeros and ones, "
                  "relative to the design file) and 'seed' (an integer from 0 to 2**64-1)")
    seed = keys.int("seed", 0, SEED_MAX, rule="must be an integer from 0 to 2**64-1",
                    default=None)
    name = keys.get("weights", "", default=None)
    if name is None:
        bits = seeded_bits(seed, outputs * inputs).reshape(outputs, inputs)
        weights, digest = _rows(bits), None
    else:
        if not isinstance(name, str):
            keys.bad("weights", name, "must be the path of a .npy file, relative to the design file")
        weights, digest = _load_weights(keys, name, base, outputs, inputs)
    result = keys.choice("result", ("popcount", "dot", "threshold"), default="popcount")
    thresholds = keys.get("thresholds", "", default=None)
    if result == "threshold":
        if not isinstance(thresholds, list) or len(thresholds) != outputs:
            count = (f"has {len(thresholds)} entries" if isinstance(thresholds, list)
                     else "is missing" if thresholds is None else "is not a list")
            keys.fail(f"thresholds {count}: result = \"threshold\" needs a list of exactly "
                      f"{outputs} integers (one per output)")
        for m, t in enumerate(thresholds):
            if not _is_int(t) or not -2 ** 63 <= t < 2 ** 63:
                keys.fail(f"thresholds[{m}] = {_show(t)}: each threshold must be an integer "
                          f"from -2**63 to 2**63-1 (0 or less: always 1; above {inputs}: "
                          "never)")
        thresholds = tuple(thresholds)
    elif thresholds is not None:
        keys.fail(f"thresholds = {_show(thresholds)}: thresholds apply only to "
                  "result = \"threshold\"")
    width = inputs.bit_length()
    output = {"popcount": Vector("uint", outputs, width),
              "dot": Vector("int", outputs, width + 1),
              "threshold": Vector("bits", outputs, 1)}[result]
    register = _register(keys, tree_levels(inputs), f"the adder tree over {inputs} bits")
    return XnorPopcount(index, x, output, outputs, weights, name, digest, seed, result,
                        thresholds, register)


def _argmax(keys, index, x, base):
    if x.kind not in ("int", "uint"):
        keys.fail(f"needs a vector of integers, but its input is {x.describe()}")
    absolute = keys.get("absolute", "true or false", default=False)
    if not isinstance(absolute, bool):
        keys.bad("absolute", absolute, "must be true or false")
    if absolute and x.kind != "int":
        keys.fail(f"absolute = true needs signed integers, but the input is {x.describe()}")
    count = x.elements
    register = _register(keys, tree_levels(count), f"the comparator tree over {count} elements")
    index_bits = index_width(count)
    fields = (("index", index_bits, False),) + ((("negative", 1, False),) if absolute else ())
    output = Vector("struct", 1, index_bits + absolute, fields)
    return Argmax(index, x, output, absolute, register)


_STAGE_PARSERS = {
    "signflip": _signflip, "fwht": _fwht, "sign": _sign, "pad": _pad, "shift": _shift,
    "xnor_popcount": _xnor_popcount, "argmax": _argmax,
}


def _check_signal_bits(keys, stage):
    """Every vector the stage's hardware holds in one signal must fit Amaranth's limit."""
    levels = getattr(stage, "levels", 0)
    named = [("its input", stage.input)]
    if hasattr(stage, "level_vector"):
        last = levels if stage.kind == "fwht" else levels - 1
        named += [(f"level {level}", stage.level_vector(level)) for level in range(last)]
    named.append(("its output", stage.output))
    for what, vector in named:
        if vector.total_width > MAX_SIGNAL_BITS:
            keys.fail(f"{what} would be {vector.elements} x {vector.width} = "
                      f"{vector.total_width} bits in one signal; Amaranth allows at most "
                      f"{MAX_SIGNAL_BITS}: use fewer elements or narrower ones (a smaller n, "
                      f"input_width or wrap width)")


def parse_design(table, source="design", base=None):
    """Validates a design given as the parsed TOML ``table``; ``source`` names it in errors
    and ``base`` is the folder that weights files are relative to (default: the current
    folder).

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
        stage = _STAGE_PARSERS[kind](stage_keys, index, x, Path(base or "."))
        stage_keys.finish()
        _check_signal_bits(stage_keys, stage)
        stages.append(stage)
        x = stage.output
    return Design(name, n, input_width, parallelism, tuple(stages))


MAX_DESIGN_BYTES = 1 << 20


def load_design(path):
    """Reads and validates the design file at ``path`` (a UTF-8 TOML file of at most
    1 MiB). Raises :class:`DesignError`."""
    path = Path(path)
    try:
        text = read_text(path, "design file", MAX_DESIGN_BYTES)
    except InputFileError as error:
        raise DesignError(str(error)) from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DesignError(f"{path}: not valid TOML: {error}") from None
    return parse_design(table, source=str(path), base=path.parent)
