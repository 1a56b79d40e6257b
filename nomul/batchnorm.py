"""Folding batch norm + sign into integer popcount thresholds (as in FINN).

A trained binary layer computes, per neuron ``m`` over ``N`` inputs, the +-1 dot product
``y = 2*pop - N`` and outputs +1 when its batch norm is not negative::

    gamma * (y - mean) / sqrt(var + eps) + beta >= 0        (evaluated in float64)

:func:`fold_batchnorm` turns that into weights and integer thresholds for an
``xnor_popcount`` stage with ``result = "threshold"`` that gives the same bit for every
input: ``pop' >= threshold``. For ``gamma > 0`` the threshold is
``ceil((tau + N) / 2)`` with ``tau = mean - beta * sqrt(var + eps) / gamma`` (taking
the integer part instead is the well-known off-by-one); for ``gamma < 0`` the comparison
flips, so the neuron's weights are inverted (``pop' = N - pop``) and the threshold is
``N - floor((tau + N) / 2)``; for ``gamma = 0`` the output is the sign of ``beta``.
The closed form is then checked against the float formula at the boundary, so rounding
in float64 cannot make them disagree. Thresholds run from 0 (always 1) to ``N + 1``
(never).
"""

import math

import numpy as np

__all__ = ["fold_batchnorm", "batchnorm_sign"]


def batchnorm_sign(popcount, n, gamma, beta, mean, var, eps):
    """The float reference: 1 where batch norm of ``y = 2*popcount - n`` is >= 0."""
    y = 2.0 * np.asarray(popcount, dtype=np.float64) - n
    return (gamma * (y - mean) / np.sqrt(var + eps) + beta >= 0).astype(np.int64)


def _one(n, gamma, beta, mean, var, eps):
    """``(invert, threshold)`` for one neuron."""
    def on(p):
        return bool(batchnorm_sign(p, n, gamma, beta, mean, var, eps))

    if gamma == 0:
        return False, 0 if beta >= 0 else n + 1
    tau = mean - beta * math.sqrt(var + eps) / gamma
    half = (tau + n) / 2
    if gamma > 0:
        # on(p) holds for p >= threshold: find the smallest such p in 0..n+1.
        t = int(min(max(math.ceil(half), 0), n + 1)) if math.isfinite(half) else (
            0 if half < 0 else n + 1)
        while t > 0 and on(t - 1):
            t -= 1
        while t <= n and not on(t):
            t += 1
        return False, t
    # gamma < 0: on(p) holds for p <= last; with inverted weights p' = n - p >= n - last.
    last = int(min(max(math.floor(half), -1), n)) if math.isfinite(half) else (
        -1 if half < 0 else n)
    while last >= 0 and not on(last):
        last -= 1
    while last < n and on(last + 1):
        last += 1
    return True, n - last


def fold_batchnorm(weights, gamma, beta, mean, var, eps=1e-5):
    """Weights and thresholds for ``result = "threshold"`` from a binary layer's batch norm.

    ``weights`` is the ``M x N`` 0/1 matrix (1 standing for +1); ``gamma``, ``beta``,
    ``mean``, ``var`` have one entry per neuron. Returns ``(weights, thresholds)``: the
    weights with the rows of neurons whose ``gamma < 0`` inverted, and ``M`` integers
    from 0 to ``N + 1``. Raises ``ValueError`` for mismatched shapes, negative variances,
    ``eps <= 0`` or values that are not finite."""
    weights = np.asarray(weights)
    if weights.ndim != 2 or not np.isin(weights, (0, 1)).all():
        raise ValueError("weights must be an M x N array of 0 and 1")
    m, n = weights.shape
    params = [np.asarray(p, dtype=np.float64).reshape(-1) for p in (gamma, beta, mean, var)]
    for name, p in zip(("gamma", "beta", "mean", "var"), params):
        if p.shape != (m,):
            raise ValueError(f"{name} must have {m} entries (one per neuron), not {p.size}")
        if not np.isfinite(p).all():
            raise ValueError(f"{name} must be finite")
    if (params[3] < 0).any():
        raise ValueError("var must not be negative")
    if not eps > 0:
        raise ValueError(f"eps must be positive, not {eps}")
    folded = weights.astype(np.int64).copy()
    thresholds = []
    for row, (g, b, mu, v) in enumerate(zip(*params)):
        invert, threshold = _one(n, g, b, mu, v, eps)
        if invert:
            folded[row] = 1 - folded[row]
        thresholds.append(threshold)
    return folded, thresholds
