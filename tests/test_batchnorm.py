"""Thresholds folded from batch norm against float batch norm followed by sign."""

import numpy as np
import pytest

from nomul.batchnorm import batchnorm_sign, fold_batchnorm


def float_layer(x, weights, gamma, beta, mean, var, eps):
    """The trained layer in float: +-1 dot products, batch norm, sign (>= 0 is +1)."""
    a, w = 2.0 * x - 1, 2.0 * weights - 1
    y = a @ w.T
    return (gamma * (y - mean) / np.sqrt(var + eps) + beta >= 0).astype(np.int64)


def threshold_layer(x, weights, thresholds):
    popcount = (x[:, None, :] == weights[None, :, :]).sum(axis=-1)
    return (popcount >= np.array(thresholds)).astype(np.int64)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("n", [1, 7, 64, 256])
def test_zero_mismatches_on_random_layers(seed, n):
    rng = np.random.default_rng(seed * 1000 + n)
    m = 40
    weights = rng.integers(0, 2, (m, n))
    gamma = rng.normal(0, 1, m)
    gamma[:5] = 0                                  # constant outputs
    gamma[5:15] = -np.abs(gamma[5:15])             # flipped comparisons
    beta = rng.normal(0, 2, m)
    beta[15:18] = [1e6, -1e6, 0.0]                 # thresholds far out of range
    mean = rng.normal(0, np.sqrt(n), m)
    var = rng.exponential(n, m)
    var[18] = 0.0
    eps = 1e-5
    x = rng.integers(0, 2, (3000, n))
    x[:n + 1] = (np.arange(n)[None, :] < np.arange(n + 1)[:, None])  # every popcount
    folded, thresholds = fold_batchnorm(weights, gamma, beta, mean, var, eps)
    assert all(0 <= t <= n + 1 for t in thresholds)
    want = float_layer(x, weights, gamma, beta, mean, var, eps)
    got = threshold_layer(x, folded, thresholds)
    assert (got != want).sum() == 0
    flipped = gamma < 0
    assert flipped[5:15].all()
    assert (folded[flipped] == 1 - weights[flipped]).all()
    assert (folded[~flipped] == weights[~flipped]).all()


def test_boundaries_exactly_on_integers():
    # tau lands on odd and even integers: ceil and the flipped floor must both be exact.
    n = 10
    weights = np.ones((6, n), dtype=np.int64)
    gamma = np.array([1.0, 1.0, 2.0, -1.0, -1.0, -0.5])
    beta = np.zeros(6)
    mean = np.array([0.0, 1.0, -3.0, 0.0, 1.0, -3.0])   # tau = mean
    var = np.full(6, 1.0 - 1e-5)
    _, thresholds = fold_batchnorm(weights, gamma, beta, mean, var, eps=1e-5)
    # y = 2p - 10 >= tau: p >= ceil((tau + 10) / 2)
    assert thresholds[:3] == [5, 6, 4]
    # y <= tau: p <= floor((tau + 10) / 2); inverted: p' >= 10 - floor(...)
    assert thresholds[3:] == [5, 5, 7]
    # Truncating instead would have given 5 for tau = 1 (the known off-by-one).
    assert batchnorm_sign(5, n, 1.0, 0.0, 1.0, 1.0 - 1e-5, 1e-5) == 0


def test_always_and_never():
    _, thresholds = fold_batchnorm(np.zeros((4, 8), int), [0.0, 0.0, 1.0, 1.0],
                                   [1.0, -1.0, 100.0, -100.0], [0.0] * 4, [1.0] * 4)
    assert thresholds == [0, 9, 0, 9]


def test_bad_parameters():
    with pytest.raises(ValueError, match=r"^gamma must have 2 entries \(one per neuron\), not 3$"):
        fold_batchnorm(np.zeros((2, 4), int), [1, 1, 1], [0, 0], [0, 0], [1, 1])
    with pytest.raises(ValueError, match=r"^var must not be negative$"):
        fold_batchnorm(np.zeros((2, 4), int), [1, 1], [0, 0], [0, 0], [1, -1])
    with pytest.raises(ValueError, match=r"^weights must be an M x N array of 0 and 1$"):
        fold_batchnorm(np.full((2, 4), 2), [1, 1], [0, 0], [0, 0], [1, 1])
