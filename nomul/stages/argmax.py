"""The ``argmax`` stage kind: the index of the largest element (the cross-polytope hash
with ``absolute``)."""

from dataclasses import dataclass
from typing import ClassVar

from .base import Stage, Tree, Vector, index_width, tree_levels

__all__ = ["Argmax"]


@dataclass(frozen=True)
class Argmax(Tree, Stage):
    """The index of the largest element, the lowest index on ties. With ``absolute``, the
    index of the largest ``|x_j|`` (lowest on ties) and whether that ``x_j`` is negative:
    the cross-polytope hash.

    The output is one element of the struct (``index``, ``negative`` if absolute), index
    in the low bits. A comparator tree keeps the larger of each pair of candidates
    (``value``, ``index``, ``negative``), the left one on ties; a register follows every
    ``register`` levels and the last: latency ``ceil(levels / register)``.

    Folded form (input in ``B`` beats of ``p`` lanes): a tree over the lanes of each beat
    (a register after every ``register`` of its levels), then ``best``, the winner of the
    beats so far (earlier beats win ties), and ``result`` after the last beat: latency
    ``B`` plus the tree's registers."""
    kind: ClassVar[str] = "argmax"
    absolute: bool
    register: int

    @classmethod
    def parse(cls, keys, index, x, base):
        if x.kind not in ("int", "uint"):
            keys.fail(f"needs a vector of integers, but its input is {x.describe()}")
        absolute = keys.boolean("absolute", default=False)
        if absolute and x.kind != "int":
            keys.fail(f"absolute = true needs signed integers, but the input is "
                      f"{x.describe()}")
        register = keys.register(tree_levels(x.elements),
                                 f"the comparator tree over {x.elements} elements")
        return cls(index, x, absolute, register)

    @property
    def count(self):
        return self.input.elements

    leaves = count

    @property
    def index_width(self):
        return index_width(self.count)

    @property
    def output(self):
        fields = (("index", self.index_width, False),)
        if self.absolute:
            fields += (("negative", 1, False),)
        return Vector("struct", 1, self.index_width + self.absolute, fields)

    @property
    def candidate(self):
        """The vector type of one candidate in the tree (as a struct element)."""
        value = ("value", self.input.width, self.input.signed and not self.absolute)
        fields = (value, ("index", self.index_width, False))
        if self.absolute:
            fields += (("negative", 1, False),)
        return Vector("struct", 1, sum(width for _, width, _ in fields), fields)

    # The folded form: a tree over the lanes of each beat, then the best so far ("best").
    partial_name = "best"

    @property
    def partial_vector(self):
        return self.candidate

    def beat_level_vector(self, level):
        """The candidates left of one beat after ``level``."""
        return Vector("struct", self.input.lanes >> (level + 1), self.candidate.width,
                      self.candidate.fields)

    def level_vector(self, level):
        """The candidates left after ``level``."""
        return Vector("struct", self.terms(level), self.candidate.width, self.candidate.fields)

    def adder_bits(self):
        return (self.count - 1) * self.input.width      # one comparator per pair

    def streaming_adder_bits(self, parallel_bits):
        # The tree over one beat's lanes, and the comparison with the best so far.
        return (self.input.lanes - 1) * self.input.width + self.input.width

    def element_names(self, x, names):
        leaves = [[names(("leaf", a, j, self.absolute)) for j, a in enumerate(x)]]
        (candidates,), taps = self.reduce_names(leaves, names,
                                                lambda a, b: names(("max", a, b)))
        y = [names(("argmax", tuple(candidates)))]
        taps["result"] = y
        return y, taps
