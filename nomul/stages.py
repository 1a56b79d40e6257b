"""The resolved stages of a design and the vector types that travel between them.

These are the parameters every view reads (hardware, golden models, manifest). They are
built and validated by :mod:`nomul.design`; nothing else derives them.
"""

from dataclasses import dataclass, fields
from typing import ClassVar

__all__ = ["Vector", "Tap", "Stage", "SignFlip", "FWHT", "Sign", "Pad", "Shift",
           "XnorPopcount", "Argmax", "tree_levels", "index_width"]


@dataclass(frozen=True)
class Vector:
    """The type of the vectors that travel between two stages (or sit in a register).

    ``kind`` is one of:

    - ``"int"``: signed two's-complement elements of ``width`` bits;
    - ``"uint"``: unsigned elements of ``width`` bits (popcounts);
    - ``"bits"``: one bit per element, 1 standing for +1;
    - ``"struct"``: unsigned elements that pack the ``fields`` (``(name, width, signed)``,
      lowest bits first), such as the argmax result ``index`` and ``negative``.

    Element ``j`` of a packed vector sits at bits ``[j*width +: width]``.
    """
    kind: str
    elements: int
    width: int
    fields: tuple = ()

    @property
    def signed(self):
        return self.kind == "int"

    @property
    def total_width(self):
        return self.elements * self.width

    def describe(self):
        if self.kind == "bits":
            return f"{self.elements} bits"
        if self.kind == "struct":
            names = "+".join(name for name, _, _ in self.fields)
            return f"{self.elements} x {self.width}-bit ({names})"
        sign = "signed" if self.signed else "unsigned"
        return f"{self.elements} {sign} {self.width}-bit integers"

    def to_json(self):
        description = {
            "kind": self.kind, "elements": self.elements, "width": self.width,
            "signed": self.signed, "total_width": self.total_width,
            "packing": "element j at bits [j*width +: width]",
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


class _Registered:
    """Stages of ``levels`` levels with a register after every ``register`` levels and
    after the last."""

    def is_registered(self, level):
        return (level + 1) % self.register == 0 or level == self.levels - 1


@dataclass(frozen=True)
class FWHT(_Registered, Stage):
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


def tree_levels(leaves):
    """Levels of a binary reduction tree over ``leaves`` (at least one)."""
    return max(1, (leaves - 1).bit_length())


def index_width(count):
    """Bits of an index into ``count`` elements (at least one)."""
    return max(1, (count - 1).bit_length())


class _Tree(_Registered):
    """A binary reduction tree over ``leaves``: level ``k`` combines aligned blocks of
    ``2**(k+1)`` leaves; its registers are the taps ``level<k>`` and, last, ``result``."""

    @property
    def levels(self):
        return tree_levels(self.leaves)

    def terms(self, level):
        """Partial results after ``level``."""
        return -(-self.leaves // 2 ** (level + 1))

    @property
    def taps(self):
        taps = []
        for level in range(self.levels - 1):
            if self.is_registered(level):
                taps.append(Tap(f"level{level}", len(taps) + 1, self.level_vector(level)))
        return tuple(taps) + (Tap("result", len(taps) + 1, self.output),)


@dataclass(frozen=True)
class XnorPopcount(_Tree, Stage):
    """``outputs`` binary neurons over the ``N`` incoming bits.

    Neuron ``m`` counts the bits that agree with its weights:
    ``pop_m = sum_j XNOR(x_j, w_mj)`` (weight bit 1 standing for +1). ``weights`` holds
    one integer per neuron with weight ``j`` in bit ``j``. ``result`` is ``"popcount"``
    (``pop_m``, unsigned), ``"dot"`` (``2*pop_m - N``, the +-1 dot product, signed) or
    ``"threshold"`` (bit ``m`` is ``pop_m >= thresholds[m]``; a threshold of 0 or less
    always gives 1, one above ``N`` never).

    An adder tree sums aligned blocks of ``2**(level+1)`` bits at each level (widths grow
    only as needed); a register follows every ``register`` levels and the last, which
    also applies ``result``: latency ``ceil(levels / register)``."""
    kind: ClassVar[str] = "xnor_popcount"
    outputs: int
    weights: tuple
    weights_file: str | None
    weights_sha256: str | None
    seed: int | None
    result: str
    thresholds: tuple | None
    register: int

    @property
    def inputs(self):
        return self.input.elements

    leaves = inputs

    def level_vector(self, level):
        """The partial sums after ``level``: ``terms(level)`` per neuron, neuron-major, each
        as wide as the largest sum of its block of ``2**(level+1)`` bits."""
        width = min(2 ** (level + 1), self.inputs).bit_length()
        return Vector("uint", self.outputs * self.terms(level), width)

    def weight_matrix(self):
        """The weights as an ``outputs x N`` nested tuple of 0/1."""
        return tuple(tuple((row >> j) & 1 for j in range(self.inputs)) for row in self.weights)

    def params(self):
        params = super().params()
        digits = -(-self.inputs // 4)
        params["weights"] = [f"{row:0{digits}x}" for row in self.weights]
        return params


@dataclass(frozen=True)
class Argmax(_Tree, Stage):
    """The index of the largest element, the lowest index on ties. With ``absolute``, the
    index of the largest ``|x_j|`` (lowest on ties) and whether that ``x_j`` is negative:
    the cross-polytope hash.

    The output is one element of the struct (``index``, ``negative`` if absolute), index
    in the low bits. A comparator tree keeps the larger of each pair of candidates
    (``value``, ``index``, ``negative``), the left one on ties; a register follows every
    ``register`` levels and the last: latency ``ceil(levels / register)``."""
    kind: ClassVar[str] = "argmax"
    absolute: bool
    register: int

    @property
    def count(self):
        return self.input.elements

    leaves = count

    @property
    def index_width(self):
        return index_width(self.count)

    @property
    def candidate(self):
        """The vector type of one candidate in the tree (as a struct element)."""
        value = ("value", self.input.width, self.input.signed and not self.absolute)
        fields = (value, ("index", self.index_width, False))
        if self.absolute:
            fields += (("negative", 1, False),)
        return Vector("struct", 1, sum(width for _, width, _ in fields), fields)

    def level_vector(self, level):
        """The candidates left after ``level``."""
        return Vector("struct", self.terms(level), self.candidate.width, self.candidate.fields)
