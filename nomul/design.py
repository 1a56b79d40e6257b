"""Design files: load a TOML design, validate it and resolve it into one immutable object.

Every view (hardware, golden models, manifest, CLI) reads its parameters from the
:class:`Design` built here; none re-derives them. The file format is described in the
README and in ``examples/``; each stage kind reads its own table (:mod:`nomul.stages`).
"""

import functools
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from .files import InputFileError, read_text
from .flow import BUFFER_LATENCY, DEFAULT_FLOW, FLOWS, buffer_depth
from .stages import (MAX_INPUT_WIDTH, MAX_N, MAX_SIGNAL_BITS, MAX_WIDTH, STAGES, DesignError,
                     Keys, Vector)

__all__ = ["DesignError", "Design", "load_design", "parse_design", "MAX_WIDTH"]

MAX_DESIGN_BYTES = 1 << 20
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
MAX_STAGES = 64


@dataclass(frozen=True)
class Design:
    """A validated design: ``name``, input vectors of ``n`` signed ``input_width``-bit
    elements, ``parallelism`` elements per beat, the resolved ``stages`` in order and the
    ``flow`` control form (:data:`nomul.flow.FLOWS`)."""
    name: str
    n: int
    input_width: int
    parallelism: int
    stages: tuple
    flow: str = DEFAULT_FLOW

    @property
    def input(self):
        return Vector("int", self.n, self.input_width, lanes=self.parallelism)

    @property
    def output(self):
        return self.stages[-1].output

    @property
    def buffered(self):
        """True in the ``credit`` flow form: the stages end in an output buffer."""
        return self.flow == "credit"

    @property
    def latency(self):
        """Cycles from a vector's first input beat taken to the first beat of its result
        on ``o`` at full rate: the stages', plus the output buffer's in the credit form."""
        buffer = BUFFER_LATENCY if self.buffered else 0
        return sum(stage.latency for stage in self.stages) + buffer

    @functools.cached_property
    def buffer_depth(self):
        """Output beats the credit form's buffer holds (0 in the stall form):
        :func:`nomul.flow.buffer_depth`."""
        return buffer_depth(self) if self.buffered else 0

    @property
    def interval(self):
        """Cycles between the first beats of consecutive vectors at full rate."""
        return max(stage.interval for stage in self.stages)

    def stage_offset(self, stage):
        """Cycles from the top's input to ``stage``'s input when nothing stalls."""
        return sum(s.latency for s in self.stages[:stage.index - 1])

    def describe(self):
        return {
            "name": self.name, "n": self.n, "input_width": self.input_width,
            "parallelism": self.parallelism, "flow": self.flow,
            "stages": [{"kind": s.kind, **s.params()} for s in self.stages],
        }

    @property
    def digest(self):
        """SHA-256 of the resolved design: equal for designs that generate equal hardware."""
        text = json.dumps(self.describe(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _check_signal_bits(keys, stage):
    """Every vector the stage's hardware holds in one signal must fit Amaranth's limit."""
    for what, vector in stage.signals():
        if vector.total_width > MAX_SIGNAL_BITS:
            keys.fail(f"{what} would be {vector.elements} x {vector.width} = "
                      f"{vector.total_width} bits in one signal; Amaranth allows at most "
                      f"{MAX_SIGNAL_BITS}: use fewer elements or narrower ones (a smaller n, "
                      f"parallelism, input_width, wrap width or number of outputs)")


def parse_design(table, source="design", base=None):
    """Validates a design given as the parsed TOML ``table``; ``source`` names it in errors
    and ``base`` is the folder that weights files are relative to (default: the current
    folder).

    Raises :class:`DesignError` naming the key, the value and what is allowed."""
    keys = Keys(table, source)
    name = keys.get("name", "the Verilog top name, matching [a-z][a-z0-9_]*")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        keys.bad("name", name, "must match [a-z][a-z0-9_]* and have at most 64 characters "
                 "(it names the Verilog top)")
    n = keys.int("n", 2, MAX_N, power_of_two=True)
    input_width = keys.int("input_width", 2, MAX_INPUT_WIDTH)
    parallelism = keys.int("parallelism", 1, n, power_of_two=True, default=n, rule=(
        f"must be a power of two from 1 to n = {n}: the elements of a vector that cross "
        "the input port per beat"))
    flow = keys.choice("flow", tuple(FLOWS), default=DEFAULT_FLOW)
    stage_tables = keys.get("stage", "at least one [[stage]] table")
    keys.finish()
    if not isinstance(stage_tables, list) or not stage_tables:
        keys.fail("'stage' must be a non-empty array of tables, written [[stage]]")
    if len(stage_tables) > MAX_STAGES:
        keys.fail(f"{len(stage_tables)} stages: a design has at most {MAX_STAGES}")

    stages = []
    x = Vector("int", n, input_width, lanes=parallelism)
    for index, stage_table in enumerate(stage_tables, start=1):
        if not isinstance(stage_table, dict):
            keys.fail(f"stage {index} must be a table, written [[stage]]")
        kind = stage_table.get("kind")
        known = isinstance(kind, str) and kind in STAGES
        where = f"{source}: stage {index}" + (f" ({kind})" if known else "")
        stage_keys = Keys(stage_table, where)
        kind = stage_keys.choice("kind", tuple(STAGES))
        stage = STAGES[kind].parse(stage_keys, index, x, Path(base or "."))
        if stage_keys.boolean("skid", default=False):
            if not stage.core_units() or not stage.taps:
                stage_keys.fail("skid = true needs a stage with registers; this one is "
                                "wiring only")
            if flow == "credit":
                stage_keys.fail("skid = true is for flow = \"stall\": with flow = "
                                "\"credit\" the stages' ready does not come from the "
                                "output, so there is no ready chain to cut")
            stage = replace(stage, skid=True)
        stage_keys.finish()
        _check_signal_bits(stage_keys, stage)
        stages.append(stage)
        x = stage.output
    return Design(name, n, input_width, parallelism, tuple(stages), flow)


def load_design(path):
    """Reads and validates the design file at ``path`` (a UTF-8 TOML file of at most
    1 MiB). Raises :class:`DesignError`."""
    path = Path(path)
    try:
        text = read_text(path, "design file", MAX_DESIGN_BYTES, "a UTF-8 TOML file")
    except InputFileError as error:
        raise DesignError(str(error)) from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DesignError(f"{path}: not valid TOML: {error}") from None
    except RecursionError:
        raise DesignError(f"{path}: not a design file: its arrays or tables nest too "
                          "deeply") from None
    return parse_design(table, source=str(path), base=path.parent)
