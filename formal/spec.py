"""The specification of every stage kind as SystemVerilog expressions, for the proofs.

Written from the definitions, not from ``hdl/`` or ``golden/``: each output element is
one direct expression of the stage's input elements (a Walsh-Hadamard element is the sum
and difference of the inputs its row of the Sylvester matrix selects; a popcount is the
sum of agreement bits; the argmax winner is the element no earlier one equals or beats and
no later one beats). Wrapping arithmetic comes from Verilog's sizing rules: an
expression evaluated at ``w`` bits (or wider) and cut to ``w`` bits is exact mod ``2**w``.

A vector is a list of :class:`Element` (one wire each); :class:`Netlist` collects the
wire declarations.
"""

from dataclasses import dataclass

__all__ = ["Element", "Netlist", "unpack", "pack", "stage_spec", "design_spec"]


@dataclass(frozen=True)
class Element:
    """A wire holding one element: ``width`` bits, read as ``signed`` or not."""
    name: str
    width: int
    signed: bool


class Netlist:
    """Wire declarations, in order; every wire gets a fresh name with ``prefix``."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.lines = []
        self._count = 0

    def wire(self, width, signed, expression):
        """A new wire of ``width`` bits assigned ``expression``; returns its Element."""
        name = f"{self.prefix}{self._count}"
        self._count += 1
        kind = "wire signed" if signed else "wire"
        self.lines.append(f"  {kind} [{width - 1}:0] {name} = {expression};")
        return Element(name, width, signed)


def unpack(net, signal, vector):
    """The elements of ``vector`` packed in ``signal`` (element ``j`` at bits
    ``[j*width +: width]``; bit ``j`` for bit vectors)."""
    w = vector.width
    signed = vector.kind == "int"
    return [net.wire(w, signed, f"{signal}[{j * w + w - 1}:{j * w}]")
            for j in range(vector.elements)]


def pack(elements):
    """The concatenation of ``elements``, element 0 in the low bits."""
    return "{" + ", ".join(e.name for e in reversed(elements)) + "}"


def _tree(terms):
    """``(sign, expression)`` with ``sign * expression`` the sum of ``sign_j * name_j``
    over ``terms`` (``(sign, name)`` pairs), added as a balanced tree in order: each node
    adds or subtracts its right half, with the sign of the right half's first term taken
    out. The same sum in any order; this shape keeps SMT solvers fast."""
    if len(terms) == 1:
        return terms[0]
    half = (len(terms) + 1) // 2
    (left_sign, left), (right_sign, right) = _tree(terms[:half]), _tree(terms[half:])
    return left_sign, f"({left} {'+' if right_sign == left_sign else '-'} {right})"


def _sum(terms):
    """The expression of the sum of ``sign_j * name_j`` over ``(sign, name)`` pairs."""
    sign, expression = _tree(list(terms))
    return expression if sign > 0 else f"-{expression}"


def _signflip(net, stage, x):
    width = stage.output.width
    y = [net.wire(width, True, e.name if s > 0 else f"-{e.name}")
         for s, e in zip(stage.signs, x)]
    return y, {"beat": x, "flipped": y}


def _fwht(net, stage, x):
    """Level ``l``: element ``i`` is the sum over the aligned block of ``2**(l+1)``
    elements holding ``i`` of ``(-1)**popcount(i & j) * x_j`` (the Sylvester matrix
    ``H_{2**(l+1)}`` on every block), mod ``2**width`` (wrap) or exact (grow). Every
    level is given (a streaming form's delay lines hold a level's input)."""
    n, taps, y = len(x), {}, x
    for level in range(stage.levels):
        size, width = 2 << level, stage.level_width(level)
        y = [net.wire(width, True, _sum(
                (-1 if bin(i & j & (size - 1)).count("1") % 2 else 1, x[j].name)
                for j in range(i - i % size, i - i % size + size)))
             for i in range(n)]
        taps[f"level{level}"] = y
    return y, taps


def _sign(net, stage, x):
    return [net.wire(1, False, f"{e.name} >= 0") for e in x], {}


def _pad(net, stage, x):
    zero = net.wire(x[0].width, x[0].signed, "0")
    return list(x) + [zero] * (stage.n - len(x)), {}


def _shift(net, stage, x):
    width = stage.output.width
    return [net.wire(width, True, f"{e.name} >>> {stage.bits}") for e in x], {}


def _xnor_popcount(net, stage, x):
    """Neuron ``m``: the number of inputs equal to its weight bit; level ``l`` taps hold
    the counts over the blocks of the tree's nodes (``stage.tree``), neuron-major (folded
    form: over aligned blocks of ``2**(l+1)`` lanes, beat after beat, neuron-major within
    a beat); ``acc[c]``: the counts over the first ``c`` beats."""
    agree = [[net.wire(1, False, x[j].name if w else f"~{x[j].name}")
              for j, w in enumerate(row)] for row in stage.weight_matrix()]

    def counts(size, width, length=len(x)):
        """Per neuron, its counts over the blocks of ``size`` of its first ``length``
        inputs."""
        return [[net.wire(width, False, _sum((1, a.name) for a in row[k:k + size]))
                 for k in range(0, length, size)] for row in agree]

    if stage.folded:
        lanes, beats, taps = stage.input.lanes, stage.input.beats, {"beat": x}
        for level in range(stage.lane_levels):
            if stage.is_lane_registered(level):
                per = lanes >> (level + 1)
                blocks = counts(2 << level, stage.beat_level_vector(level).width)
                taps[f"level{level}"] = [row[b * per + t] for b in range(beats)
                                         for row in blocks for t in range(per)]
        for c in range(1, beats):
            taps[f"acc[{c}]"] = [row[0] for row in counts(
                c * lanes, stage.partial_vector.width, c * lanes)]
    else:
        taps = {f"level{level}": [net.wire(stage.level_vector(level).width, False,
                                           _sum((1, a.name)
                                                for a in row[node.start:node.stop]))
                                  for row in agree for node in stage.tree[level]]
                for level in range(stage.levels - 1) if stage.is_registered(level)}
    popcount = [row[0] for row in counts(len(x), stage.inputs.bit_length())]
    if stage.result == "popcount":
        y = popcount
    elif stage.result == "dot":
        width = stage.output.width
        y = [net.wire(width, True, f"2 * {p.name} - {stage.inputs}") for p in popcount]
    else:
        y = [net.wire(1, False, "1'b1" if t <= 0 else f"{p.name} >= {t}")
             for p, t in zip(popcount, stage.thresholds)]
    taps["result"] = y
    return y, taps


def _argmax(net, stage, x):
    """The winner of a block is its element that every earlier element is below and no
    later element is above (the first largest); with ``absolute``, values are ``|x|``.
    Candidates pack (value, index[, negative]) from the low bits; the result packs
    (index[, negative])."""
    if stage.absolute:
        values = [net.wire(e.width, False, f"{e.name} < 0 ? -{e.name} : {e.name}") for e in x]
    else:
        values = list(x)
    index_width = stage.index_width

    def winner(block):
        """``{field: expression}`` of the first largest of ``block`` (indices)."""
        wins = []
        for i in block:
            beats = [f"{values[i].name} > {values[j].name}" for j in block if j < i]
            beats += [f"{values[i].name} >= {values[j].name}" for j in block if j > i]
            wins.append((i, net.wire(1, False, " && ".join(beats) or "1'b1")))
        fields = {}
        fields["value"] = " | ".join(f"({w.name} ? {values[i].name} : 0)" for i, w in wins)
        fields["index"] = " | ".join(f"({w.name} ? {index_width}'d{i} : 0)" for i, w in wins)
        fields["negative"] = " | ".join(f"({w.name} ? {x[i].name} < 0 : 0)" for i, w in wins)
        return fields

    def candidates(size, vector_fields, length=len(x)):
        """The winners of the blocks of ``size`` of the first ``length`` elements."""
        out = []
        for start in range(0, length, size):
            fields = winner(range(start, min(start + size, length)))
            parts = [net.wire(width, False, fields[name])
                     for name, width, _ in vector_fields]
            out.append(net.wire(sum(p.width for p in parts), False, pack(parts)))
        return out

    if stage.folded:
        # Beat after beat, the winners of its blocks of lanes; best[c]: the winner of the
        # first c beats.
        lanes = stage.input.lanes
        taps = {f"level{level}": candidates(2 << level, stage.beat_level_vector(level).fields)
                for level in range(stage.lane_levels) if stage.is_lane_registered(level)}
        for c in range(1, stage.input.beats):
            taps[f"best[{c}]"] = candidates(c * lanes, stage.candidate.fields, c * lanes)
    else:
        taps = {f"level{level}": candidates(2 << level, stage.candidate.fields)
                for level in range(stage.levels - 1) if stage.is_registered(level)}
    y = candidates(len(x), stage.output.fields)
    taps["result"] = y
    return y, taps


SPECS = {"signflip": _signflip, "fwht": _fwht, "sign": _sign, "pad": _pad,
         "shift": _shift, "xnor_popcount": _xnor_popcount, "argmax": _argmax}


def stage_spec(net, stage, x):
    """``(output elements, {name: elements})`` of ``stage`` for input elements ``x``: what
    each register (tap) of the stage holds of the vector, beat after beat (a skid buffer's
    registers hold the stage's output), ``input`` the stage's input and, for a fold,
    ``<partial>[c]`` what its partial register holds after ``c`` beats."""
    y, taps = SPECS[stage.kind](net, stage, x)
    if stage.skid:
        taps.update(buffer=y, buffer_spare=y)
    return y, {"input": x, **taps}


def design_spec(net, design, x):
    """``(output elements, {"<instance>.<tap>": elements})`` of ``design`` for the input
    elements ``x``."""
    taps = {}
    for stage in design.stages:
        x, stage_taps = stage_spec(net, stage, x)
        taps.update({f"{stage.instance}.{name}": v for name, v in stage_taps.items()})
    return x, taps
