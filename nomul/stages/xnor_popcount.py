"""The ``xnor_popcount`` stage kind: binary neurons over the incoming bits."""

import hashlib
from dataclasses import dataclass
from functools import cache
from typing import ClassVar

import numpy as np

from ..files import InputFileError, load_npy
from ..seeded import SEED_MAX, seeded_bits
from .base import MAX_N, Register, Stage, Tap, Tree, Vector, is_int, show

__all__ = ["XnorPopcount", "Node", "carry_tree", "carry_tree_levels"]


@dataclass(frozen=True)
class Node:
    """One count of the popcount tree: the leaves ``start .. stop - 1``, the sum of
    ``parts`` (indices of nodes of the level below; of leaves at level 0)."""
    start: int
    stop: int
    parts: tuple

    @property
    def width(self):
        """Bits of the count: its block's size needs them all."""
        return (self.stop - self.start).bit_length()


def carry_tree_levels(leaves):
    """Levels of :func:`carry_tree` over ``leaves``: ``L`` levels count up to
    ``2**(L+1) - 1`` leaves."""
    return max(1, leaves.bit_length() - 1)


@cache
def carry_tree(leaves):
    """The popcount tree over ``leaves`` bits, one tuple of :class:`Node` per level (level
    0 first, each level's nodes in leaf order). A node of level ``k`` counts a block of
    up to ``2**(k+2) - 1`` consecutive leaves: three leaves at level 0 (a full adder);
    above, two blocks of ``2**(k+1) - 1`` and the one leaf after them, carried up from
    level 0 as a block of its own, which the adder takes as its carry-in (an FPGA carry
    chain takes it at no cost). So every count fills its width, ``k + 2`` bits at level
    ``k``. Blocks are cut where the leaves end."""
    tree = [[] for _ in range(carry_tree_levels(leaves))]

    def build(level, start, stop):
        if level == 0:
            parts = tuple(range(start, stop))
        else:
            span = (2 << level) - 1             # leaves under each of the first two parts
            bounds = (start, start + span, start + 2 * span, start + 2 * span + 1)
            parts = tuple(build(level - 1, a, min(b, stop))
                          for a, b in zip(bounds, bounds[1:]) if a < stop)
        tree[level].append(Node(start, stop, parts))
        return len(tree[level]) - 1

    build(len(tree) - 1, 0, leaves)
    return tuple(map(tuple, tree))


def _rows(bits):
    """Each row of a 0/1 matrix as an integer with column ``j`` in bit ``j``."""
    return tuple(sum(int(b) << j for j, b in enumerate(row)) for row in bits.tolist())


def _load_weights(keys, name, base, outputs, inputs):
    """The weights file ``name`` (relative to ``base``) as row integers, and its SHA-256."""
    path = base / name
    label = f"weights = {show(name)}"

    def check(shape, dtype):
        if shape != (outputs, inputs):
            keys.fail(f"{label} has shape {shape}: it must be outputs x N = ({outputs}, "
                      f"{inputs}), one row of 0/1 per neuron over the {inputs} incoming bits")
        if dtype.kind not in "iub":
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


@dataclass(frozen=True)
class XnorPopcount(Tree, Stage):
    """``outputs`` binary neurons over the ``N`` incoming bits.

    Neuron ``m`` counts the bits that agree with its weights:
    ``pop_m = sum_j XNOR(x_j, w_mj)`` (weight bit 1 standing for +1). ``weights`` holds
    one integer per neuron with weight ``j`` in bit ``j``. ``result`` is ``"popcount"``
    (``pop_m``, unsigned), ``"dot"`` (``2*pop_m - N``, the +-1 dot product, signed) or
    ``"threshold"`` (bit ``m`` is ``pop_m >= thresholds[m]``; a threshold of 0 or less
    always gives 1, one above ``N`` never).

    An adder tree (:func:`carry_tree`) counts blocks of up to ``2**(level+2) - 1``
    consecutive bits at each level, each adder taking one bit as its carry-in (levels:
    :func:`carry_tree_levels`, 8 for 256 bits); a register follows every ``register``
    levels and the last, which also applies ``result``: latency
    ``ceil(levels / register)``.

    Folded form (input in ``B`` beats of ``p`` lanes): register ``beat`` (the weights of
    that beat read from a ROM meanwhile), a pair tree over its lanes (level ``k`` sums
    aligned blocks of ``2**(k+1)`` lanes, a register after every ``register`` of its
    levels), the running sums ``acc``, and ``result`` after the last beat: latency
    ``1 + B`` plus the tree's registers."""
    kind: ClassVar[str] = "xnor_popcount"
    outputs: int
    weights: tuple
    weights_file: str | None
    weights_sha256: str | None
    seed: int | None
    result: str
    thresholds: tuple | None
    register: int

    @classmethod
    def parse(cls, keys, index, x, base):
        keys.need_bits(x)
        inputs = x.elements
        outputs = keys.int("outputs", 1, MAX_N)
        has_seed, has_weights = "seed" in keys.table, "weights" in keys.table
        if has_seed == has_weights:
            keys.fail("needs exactly one of 'weights' (a .npy file of outputs x N zeros and "
                      "ones, relative to the design file) and 'seed' (an integer from 0 to "
                      "2**64-1)")
        seed = keys.int("seed", 0, SEED_MAX, rule="must be an integer from 0 to 2**64-1",
                        default=None)
        name = keys.get("weights", "", default=None)
        if name is None:
            bits = seeded_bits(seed, outputs * inputs).reshape(outputs, inputs)
            weights, digest = _rows(bits), None
        else:
            if not isinstance(name, str):
                keys.bad("weights", name,
                         "must be the path of a .npy file, relative to the design file")
            weights, digest = _load_weights(keys, name, base, outputs, inputs)
        result = keys.choice("result", ("popcount", "dot", "threshold"), default="popcount")
        thresholds = keys.get("thresholds", "", default=None)
        if result == "threshold":
            if not isinstance(thresholds, list) or len(thresholds) != outputs:
                count = (f"has {len(thresholds)} entr{'y' if len(thresholds) == 1 else 'ies'}"
                         if isinstance(thresholds, list)
                         else "is missing" if thresholds is None else "is not a list")
                keys.fail(f"thresholds {count}: result = \"threshold\" needs a list of "
                          f"exactly {outputs} integers (one per output)")
            for m, t in enumerate(thresholds):
                if not is_int(t) or not -2 ** 63 <= t < 2 ** 63:
                    keys.fail(f"thresholds[{m}] = {show(t)}: each threshold must be an "
                              f"integer from -2**63 to 2**63-1 (0 or less: always 1; above "
                              f"{inputs}: never)")
            thresholds = tuple(thresholds)
        elif thresholds is not None:
            keys.fail(f"thresholds = {show(thresholds)}: thresholds apply only to "
                      "result = \"threshold\"")
        register = keys.register(carry_tree_levels(inputs),
                                 f"the adder tree over {inputs} bits")
        return cls(index, x, outputs, weights, name, digest, seed, result, thresholds,
                   register)

    @property
    def inputs(self):
        return self.input.elements

    leaves = inputs

    @property
    def levels(self):
        return carry_tree_levels(self.inputs)

    @property
    def tree(self):
        """The parallel form's adder tree: :func:`carry_tree` over the incoming bits."""
        return carry_tree(self.inputs)

    def terms(self, level):
        return len(self.tree[level])

    @property
    def output(self):
        width = self.inputs.bit_length()
        return {"popcount": Vector("uint", self.outputs, width),
                "dot": Vector("int", self.outputs, width + 1),
                "threshold": Vector("bits", self.outputs, 1)}[self.result]

    def level_vector(self, level):
        """The counts after ``level``: ``terms(level)`` per neuron (the nodes of
        :attr:`tree`), neuron-major, as wide as the largest block's count."""
        width = max(node.width for node in self.tree[level])
        return Vector("uint", self.outputs * self.terms(level), width)

    # The folded form (input in several beats): a register of the beat (its weights read
    # from a ROM meanwhile), a tree over its lanes, and a running sum "acc" over beats.
    partial_name = "acc"

    @property
    def partial_vector(self):
        return Vector("uint", self.outputs, self.inputs.bit_length())

    def beat_units(self):
        return (Register(Tap("beat", 1, self.input.beat, self.input.beats)),)

    def beat_rom(self):
        """Folded: word ``b`` has bit ``n*lanes + k`` set when neuron ``n``'s weight for
        element ``b*lanes + k`` is 1."""
        if not self.folded:
            return None
        lanes, matrix = self.input.lanes, self.weight_matrix()
        return ("weights", self.outputs * lanes, [
            sum(matrix[n][b * lanes + k] << (n * lanes + k)
                for n in range(self.outputs) for k in range(lanes))
            for b in range(self.input.beats)])

    def beat_signals(self):
        return [("its weights ROM word", Vector("bits", self.outputs * self.input.lanes, 1))]

    def beat_level_vector(self, level):
        """The sums over aligned blocks of ``2**(level+1)`` lanes of one beat, neuron-major."""
        return Vector("uint", self.outputs * (self.input.lanes >> (level + 1)),
                      (2 ** (level + 1)).bit_length())

    def weight_matrix(self):
        """The weights as an ``outputs x N`` nested tuple of 0/1."""
        return tuple(tuple((row >> j) & 1 for j in range(self.inputs)) for row in self.weights)

    def params(self):
        params = super().params()
        digits = -(-self.inputs // 4)
        params["weights"] = [f"{row:0{digits}x}" for row in self.weights]
        return params

    def scratch_elements(self):
        return 2 * self.outputs * self.inputs       # the agreement matrix and its sums

    def memory_bits(self):
        return self.outputs * self.inputs if self.folded else 0     # the weights ROM

    def streaming_adder_bits(self, parallel_bits):
        # The tree over one beat's lanes, and one accumulator per neuron.
        return (super().streaming_adder_bits(parallel_bits)
                + self.outputs * self.partial_vector.width)

    def adder_bits(self):
        # An adder per node of two or more operands, as wide as its count.
        bits = self.outputs * sum(node.width for nodes in self.tree for node in nodes
                                  if len(node.parts) > 1)
        if self.result == "dot":
            bits += self.outputs * self.output.width
        elif self.result == "threshold":
            bits += sum(self.inputs.bit_length() for t in self.thresholds
                        if 0 < t <= self.inputs)
        return bits

    def needed_bits(self, need_out, sig_in):
        need_in, taps, adder_bits = super().needed_bits(need_out, sig_in)
        if taps and not self.folded:
            # Each count of the parallel tree needs the bits of its block's size.
            for level, nodes in enumerate(self.tree[:-1]):
                if self.is_registered(level):
                    masks = [(1 << node.width) - 1 for node in nodes]
                    taps[f"level{level}"] = masks * self.outputs
        return need_in, taps, adder_bits

    def element_names(self, x, names):
        leaves = [[names(("xnor", a, w)) for a, w in zip(x, row)]
                  for row in self.weight_matrix()]
        taps, sums = {}, leaves
        for level, nodes in enumerate(self.tree[:-1]):
            sums = [[self._name(names, below, node) for node in nodes] for below in sums]
            if self.is_registered(level):
                taps[f"level{level}"] = [t for group in sums for t in group]
        y = [names(("neuron", tuple(row), self.result, threshold)) for row, threshold
             in zip(leaves, self.thresholds or (None,) * self.outputs)]
        taps["result"] = y
        return y, taps

    @staticmethod
    def _name(names, below, node):
        """The structural name of ``node``'s count, from the names of the level below."""
        name = below[node.parts[0]]
        for part in node.parts[1:]:
            name = names.add(name, below[part], None)
        return name
