"""Definitions written independently of ``golden/``: plain Python integers and loops, and
the explicit Sylvester matrix product (``scipy.linalg.hadamard``) for the transform."""

import numpy as np
from scipy.linalg import hadamard


def to_signed(value, width):
    """``value`` mod 2**width as a signed ``width``-bit number (plain Python ints)."""
    value %= 2 ** width
    return value - 2 ** width if value >= 2 ** (width - 1) else value


def stage_description(stage):
    """A stage as the manifest describes it: kind, resolved parameters, output type."""
    return {"kind": stage.kind, **stage.params(), "input": stage.input.to_json(),
            "output": stage.output.to_json()}


def _signflip(stage, vector):
    return [to_signed(s * v, stage["output"]["width"]) for s, v in zip(stage["signs"], vector)]


def _fwht(stage, vector):
    product = hadamard(len(vector)).astype(object) @ np.array(vector, dtype=object)
    if stage["overflow"] == "wrap":
        return [to_signed(int(v), stage["width"]) for v in product]
    return [int(v) for v in product]


def _sign(stage, vector):
    return [1 if v >= 0 else 0 for v in vector]


def _pad(stage, vector):
    return list(vector) + [0] * (stage["n"] - len(vector))


def _shift(stage, vector):
    return [v // 2 ** stage["bits"] for v in vector]


def _xnor_popcount(stage, vector):
    n = len(vector)
    plus_minus = [2 * b - 1 for b in vector]
    out = []
    for m, row in enumerate(stage["weights"]):
        weights = [2 * ((int(row, 16) >> j) & 1) - 1 for j in range(n)]
        dot = sum(a * w for a, w in zip(plus_minus, weights))   # explicit +-1 product
        popcount = (dot + n) // 2
        if stage["result"] == "popcount":
            out.append(popcount)
        elif stage["result"] == "dot":
            out.append(dot)
        else:
            out.append(1 if popcount >= stage["thresholds"][m] else 0)
    return out


def _argmax(stage, vector):
    key = abs if stage["absolute"] else (lambda v: v)
    best = 0
    for j, v in enumerate(vector):
        if key(v) > key(vector[best]):
            best = j
    index_width = stage["output"]["fields"][0]["width"]
    return [best | ((vector[best] < 0) << index_width if stage["absolute"] else 0)]


# The independent definition of every stage kind, found by kind.
REFERENCES = {"signflip": _signflip, "fwht": _fwht, "sign": _sign, "pad": _pad,
              "shift": _shift, "xnor_popcount": _xnor_popcount, "argmax": _argmax}


def ref_stage(stage, vector):
    """One stage, given as its manifest description (a dict), applied to one vector (a
    list of Python ints)."""
    return REFERENCES[stage["kind"]](stage, vector)


def ref_design(design, vectors):
    """The design applied to every vector, as an ``int64`` array."""
    stages = [stage_description(stage) for stage in design.stages]
    out = []
    for vector in np.asarray(vectors).tolist():
        for stage in stages:
            vector = ref_stage(stage, vector)
        out.append(vector)
    return np.array(out, dtype=np.int64)


def extreme_vectors(n, width):
    """All most-negative, all maximum, alternating both ways, and a single extreme."""
    lo, hi = -2 ** (width - 1), 2 ** (width - 1) - 1
    alternating = [lo if j % 2 else hi for j in range(n)]
    single = [0] * n
    single[-1] = lo
    return np.array([[lo] * n, [hi] * n, alternating, [-v - 1 for v in alternating],
                     single, [0] * n], dtype=np.int64)


def random_vectors(rng, count, n, width):
    half = 2 ** (width - 1)
    return rng.integers(-half, half, (count, n))
