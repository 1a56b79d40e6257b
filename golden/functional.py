"""Functional golden model: what each stage computes, vectorized over many vectors.

Every function takes and returns ``int64`` arrays of shape ``(vectors, elements)``
(bit vectors hold 0 or 1). Results are bit-exact with the hardware: wrapping stages
reduce every intermediate value mod ``2**width`` and read it as signed.
"""

import numpy as np

__all__ = ["STEPS", "working_elements", "wrap", "check_input", "stage_taps", "run_stage",
           "run", "run_with_taps"]


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
    lo, hi = -(1 << (design.input_width - 1)), (1 << (design.input_width - 1)) - 1
    # Compared in the array's own dtype (Python integers promote safely), before any cast.
    bad = np.argwhere((x < lo) | (x > hi)) if x.size else []
    if len(bad):
        v, j = bad[0]
        raise ValueError(f"input element [{v}, {j}] = {x[v, j]} is outside the signed "
                         f"{design.input_width}-bit range {lo}..{hi}")
    return x.astype(np.int64)


# Each step returns (output, {tap name: values}) for a stage and its input vectors.

def _signflip(stage, x):
    y = wrap(x * np.asarray(stage.signs, dtype=np.int64), stage.output.width)
    return y, ({"flipped": y} if stage.input.beats == 1 else {"beat": x, "flipped": y})


def _fwht(stage, x):
    n = stage.input.elements
    y = x if stage.overflow == "grow" else wrap(x, stage.width)
    taps = {}
    for level in range(stage.levels):
        half = 1 << level
        # Blocks of 2*half elements: the first half pairs with the second.
        blocks = y.reshape(len(y), n // (2 * half), 2, half)
        a, b = blocks[:, :, 0, :], blocks[:, :, 1, :]
        y = wrap(np.stack([a + b, a - b], axis=2).reshape(len(y), n), stage.level_width(level))
        if stage.is_registered(level):
            taps[f"level{level}"] = y
    return y, taps


def _sign(stage, x):
    return (x >= 0).astype(np.int64), {}


def _pad(stage, x):
    padded = np.zeros((len(x), stage.n), dtype=np.int64)
    padded[:, :x.shape[1]] = x
    return padded, {}


def _shift(stage, x):
    return x >> stage.bits, {}


def _block_sums(values, block):
    """Sums over aligned blocks of ``block`` along the last axis (the last may be short)."""
    count = values.shape[-1]
    padded = np.zeros(values.shape[:-1] + (-(-count // block) * block,), dtype=np.int64)
    padded[..., :count] = values
    return padded.reshape(values.shape[:-1] + (padded.shape[-1] // block, block)).sum(axis=-1)


def _beat_major(values, beats):
    """``(V, M, beats * t)`` values, neuron-major, as ``(V, beats * M * t)``: per beat, the
    ``t`` values of each neuron that fall in that beat."""
    v, m, total = values.shape
    return (values.reshape(v, m, beats, total // beats).transpose(0, 2, 1, 3)
            .reshape(v, beats * m * (total // beats)))


def _xnor_popcount(stage, x):
    weights = np.array(stage.weight_matrix(), dtype=np.int64)          # (M, N)
    agree = (x[:, np.newaxis, :] == weights[np.newaxis, :, :]).astype(np.int64)
    taps = {}
    if stage.folded:
        # Per beat: the tree over its lanes, then the running sum over beats.
        beats = stage.input.beats
        taps["beat"] = x
        for level in range(stage.lane_levels):
            if stage.is_lane_registered(level):
                taps[f"level{level}"] = _beat_major(_block_sums(agree, 2 ** (level + 1)),
                                                    beats)
        per_beat = _block_sums(agree, stage.input.lanes)               # (V, M, beats)
        taps["acc"] = _beat_major(np.cumsum(per_beat, axis=-1), beats)
    if not stage.folded:
        # Parallel form: each node of a level counts the leaves of its block.
        running = np.concatenate([np.zeros(agree.shape[:-1] + (1,), dtype=np.int64),
                                  np.cumsum(agree, axis=-1)], axis=-1)
    for level in range(stage.levels - 1 if not stage.folded else 0):
        if stage.is_registered(level):
            nodes = stage.tree[level]
            sums = (running[..., [node.stop for node in nodes]]
                    - running[..., [node.start for node in nodes]])     # (V, M, terms)
            taps[f"level{level}"] = sums.reshape(len(x), sums.shape[1] * sums.shape[2])
    popcount = agree.sum(axis=-1)
    if stage.result == "popcount":
        y = popcount
    elif stage.result == "dot":
        y = 2 * popcount - stage.inputs
    else:
        y = (popcount >= np.array(stage.thresholds, dtype=np.int64)).astype(np.int64)
    taps["result"] = y
    return y, taps


def _pack_fields(vector, *values):
    """Packs per-field arrays into the struct elements of ``vector``."""
    packed, offset = np.zeros_like(values[0]), 0
    for (_, width, _), value in zip(vector.fields, values):
        packed |= (value & ((1 << width) - 1)) << offset
        offset += width
    return packed


def _argmax(stage, x):
    value = np.abs(x) if stage.absolute else x
    negative = (x < 0).astype(np.int64)
    index = np.broadcast_to(np.arange(x.shape[1], dtype=np.int64), x.shape)
    taps = {}
    for level in range(stage.levels):
        if stage.folded and level == stage.lane_levels:     # the winners of each beat
            taps["best"] = _running_best(stage, value, index, negative)
        if value.shape[1] % 2:      # an odd one out passes through unchallenged
            value, index, negative = (np.concatenate([a, a[:, -1:]], axis=1)
                                      for a in (value, index, negative))
            value[:, -1] = np.iinfo(np.int64).min
        left = value[:, 0::2] >= value[:, 1::2]                     # ties keep the left
        value, index, negative = (np.where(left, a[:, 0::2], a[:, 1::2])
                                  for a in (value, index, negative))
        fields = (value, index, negative) if stage.absolute else (value, index)
        if stage.folded:
            if level < stage.lane_levels and stage.is_lane_registered(level):
                taps[f"level{level}"] = _pack_fields(stage.candidate, *fields)
        elif stage.is_registered(level) and level < stage.levels - 1:
            taps[f"level{level}"] = _pack_fields(stage.candidate, *fields)
    fields = (index, negative) if stage.absolute else (index,)
    y = _pack_fields(stage.output, *fields)
    taps["result"] = y
    return y, taps


def _running_best(stage, value, index, negative):
    """The best candidate of beats ``0 .. b`` after each beat ``b`` (earlier beats win
    ties), packed; from the winners of each beat."""
    value, index, negative = (np.array(a, dtype=np.int64) for a in (value, index, negative))
    for b in range(1, value.shape[1]):
        keep = value[:, b - 1] >= value[:, b]
        for a in (value, index, negative):
            a[:, b] = np.where(keep, a[:, b - 1], a[:, b])
    fields = (value, index, negative) if stage.absolute else (value, index)
    return _pack_fields(stage.candidate, *fields)


# The golden function of every stage kind (nomul.stages.STAGES), found by kind.
STEPS = {"signflip": _signflip, "fwht": _fwht, "sign": _sign, "pad": _pad,
         "shift": _shift, "xnor_popcount": _xnor_popcount, "argmax": _argmax}


def stage_taps(stage, x):
    """``(output, {tap name: values})`` of ``stage`` for input vectors ``x``."""
    return STEPS[stage.kind](stage, x)


def run_stage(stage, x):
    """The output of ``stage`` for input vectors ``x``."""
    return STEPS[stage.kind](stage, x)[0]


def run_with_taps(design, x):
    """``(output, {"<instance>.<tap>": values})`` of ``design`` for input vectors ``x``."""
    x = check_input(design, x)
    taps = {}
    for stage in design.stages:
        x, stage_values = stage_taps(stage, x)
        if stage.skid:          # the skid buffer holds the stage's output
            stage_values.update(buffer=x, buffer_spare=x)
        taps.update({f"{stage.instance}.{name}": v for name, v in stage_values.items()})
    return x, taps


def working_elements(design):
    """About the most ``int64`` values per vector the functional model holds at once: the
    input, every stage's output, taps and scratch arrays."""
    total = design.n
    for stage in design.stages:
        total += (stage.output.elements + stage.scratch_elements()
                  + sum(t.vector.elements * t.beats for t in stage.taps))
    return total


def run(design, x):
    """The output of ``design`` for input vectors ``x`` (shape ``(vectors, n)``)."""
    x = check_input(design, x)
    for stage in design.stages:
        x = run_stage(stage, x)
    return x
