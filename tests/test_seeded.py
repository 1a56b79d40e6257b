import numpy as np
import pytest

from nomul.seeded import seeded_bits, seeded_signs, splitmix64


def splitmix64_python(seed, count):
    """SplitMix64 as in Steele, Lea and Flood (2014), with Python integers."""
    mask, out, state = 2**64 - 1, [], seed
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        out.append(z ^ (z >> 31))
    return out


def test_published_values():
    # The well-known first outputs of SplitMix64 from state 0.
    assert splitmix64(0, 3).tolist() == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4,
                                         0x06C45D188009454F]


@pytest.mark.parametrize("seed", [0, 1, 7, 12345, 2**63, 2**64 - 1])
def test_matches_python_integers(seed):
    assert splitmix64(seed, 100).tolist() == splitmix64_python(seed, 100)


def test_signs_and_bits_come_from_the_top_bit():
    raw = splitmix64_python(7, 64)
    assert seeded_bits(7, 64).tolist() == [z >> 63 for z in raw]
    assert seeded_signs(7, 64).tolist() == [-1 if z >> 63 else 1 for z in raw]


def test_signs_are_balanced():
    signs = seeded_signs(3, 4096)
    assert abs(int(signs.sum())) < 200
    assert set(np.unique(signs).tolist()) == {-1, 1}


def test_seed_out_of_range():
    with pytest.raises(ValueError, match=r"^seed must be an integer from 0 to 2\*\*64-1, not -1$"):
        splitmix64(-1, 4)
