"""Functional golden model: what each stage computes, vectorized over many vectors.

Every function takes and returns ``int64`` arrays of shape ``(vectors, elements)``
(bit vectors hold 0 or 1). Results are bit-exact with the hardware: wrapping stages
reduce every intermediate value mod ``2**width`` and read it as signed.
"""

import numpy as np

__all__ = ["wrap", "check_input", "stage_taps", "run_stage", "run", "run_with_taps"]


def wrap(x, width):
    """``x`` mod ``2**width``, read as a signed ``width``-bit two's-complement number."""
    half = np.int64(1) << np.int64(width - 1)
    return ((np.asarray(x, dtype=np.int64) + half) & ((half << 1) - 1)) - half


def check_input(design, x):
    """``x`` as an ``int64`` array of shape ``(vectors, n)``; raises ``ValueError`` naming
    the first element that is not a signed ``input_width``-bit integer."""
    x = np.asarray(x)
    if x.ndim == 1:
        x = x[np.newaxis, :]
    if x.ndim != 2 or x.shape[1] != design.n:
        raise ValueError(f"input vectors must have shape (vectors, {design.n}) "
                         f"or ({design.n},), not {x.shape}")
    if x.size and not np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"input vectors must hold integers, not {x.dtype}")
    x = x.astype(np.int64)
    lo, hi = -(1 << (design.input_width - 1)), (1 << (design.input_width - 1)) - 1
    bad = np.argwhere((x < lo) | (x > hi))
    if len(bad):
        v, j = bad[0]
        raise ValueError(f"input element [{v}, {j}] = {x[v, j]} is outside the signed "
                         f"{design.input_width}-bit range {lo}..{hi}")
    return x


def _signflip(stage, x):
    return [wrap(x * np.asarray(stage.signs, dtype=np.int64), stage.output.width)]


def _fwht_levels(stage, x):
    """The vector after every butterfly level."""
    n = stage.input.elements
    y = x if stage.overflow == "grow" else wrap(x, stage.width)
    levels = []
    for level in range(stage.levels):
        half = 1 << level
        # Blocks of 2*half elements: the first half pairs with the second.
        blocks = y.reshape(len(y), n // (2 * half), 2, half)
        a, b = blocks[:, :, 0, :], blocks[:, :, 1, :]
        y = np.stack([a + b, a - b], axis=2).reshape(len(y), n)
        y = wrap(y, stage.level_width(level))
        levels.append(y)
    return levels


def _sign(stage, x):
    return [(x >= 0).astype(np.int64)]


def _pad(stage, x):
    padded = np.zeros((len(x), stage.n), dtype=np.int64)
    padded[:, :x.shape[1]] = x
    return [padded]


def _shift(stage, x):
    return [x >> stage.bits]


_STEPS = {"signflip": _signflip, "fwht": _fwht_levels, "sign": _sign, "pad": _pad,
          "shift": _shift}


def stage_taps(stage, x):
    """``(output, {tap name: values})`` of ``stage`` for input vectors ``x``."""
    steps = _STEPS[stage.kind](stage, x)
    if stage.kind == "fwht":
        taps = {f"level{level}": steps[level] for level in range(stage.levels)
                if stage.is_registered(level)}
    else:
        taps = {tap.name: steps[-1] for tap in stage.taps}
    return steps[-1], taps


def run_stage(stage, x):
    """The output of ``stage`` for input vectors ``x``."""
    return _STEPS[stage.kind](stage, x)[-1]


def run_with_taps(design, x):
    """``(output, {"<instance>.<tap>": values})`` of ``design`` for input vectors ``x``."""
    x = check_input(design, x)
    taps = {}
    for stage in design.stages:
        x, stage_values = stage_taps(stage, x)
        taps.update({f"{stage.instance}.{name}": v for name, v in stage_values.items()})
    return x, taps


def run(design, x):
    """The output of ``design`` for input vectors ``x`` (shape ``(vectors, n)``)."""
    x = check_input(design, x)
    for stage in design.stages:
        x = run_stage(stage, x)
    return x
