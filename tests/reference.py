"""Definitions written independently of ``golden/``: plain Python integers and loops, and
the explicit Sylvester matrix product (``scipy.linalg.hadamard``) for the transform."""

import numpy as np
from scipy.linalg import hadamard


def to_signed(value, width):
    """``value`` mod 2**width as a signed ``width``-bit number (plain Python ints)."""
    value %= 2 ** width
    return value - 2 ** width if value >= 2 ** (width - 1) else value


def ref_stage(stage, vector):
    """One stage applied to one vector (a list of Python ints)."""
    if stage.kind == "signflip":
        return [to_signed(s * v, stage.output.width) for s, v in zip(stage.signs, vector)]
    if stage.kind == "fwht":
        product = hadamard(len(vector)).astype(object) @ np.array(vector, dtype=object)
        if stage.overflow == "wrap":
            return [to_signed(int(v), stage.width) for v in product]
        return [int(v) for v in product]
    if stage.kind == "sign":
        return [1 if v >= 0 else 0 for v in vector]
    if stage.kind == "pad":
        return list(vector) + [0] * (stage.n - len(vector))
    if stage.kind == "shift":
        return [v // 2 ** stage.bits for v in vector]
    raise AssertionError(stage.kind)


def ref_design(design, vectors):
    """The design applied to every vector, as an ``int64`` array."""
    out = []
    for vector in np.asarray(vectors).tolist():
        for stage in design.stages:
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
