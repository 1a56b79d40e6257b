"""Makes the weights of examples/binary_classifier.toml (run from anywhere; the same files
every time).

The classifier tells apart 10 classes of noisy 8-bit vectors, each class a random
prototype. An HD block turns an input into 64 bits; a first binary layer of 32 random
neurons (threshold 32: more than half of the 64 bits agree) gives 32 binary features;
the second layer's neuron c holds the features of prototype c, so its popcount counts
the features an input shares with that prototype, and argmax picks the nearest one.
"""

from pathlib import Path

import numpy as np

from nomul.design import parse_design
from nomul.golden.functional import run

HERE = Path(__file__).resolve().parent
CLASSES, FEATURES, N = 10, 32, 64


def prototypes():
    return np.random.default_rng(2026).integers(-100, 101, (CLASSES, N))


def main():
    rng = np.random.default_rng(1)
    w1 = rng.integers(0, 2, (FEATURES, N)).astype(np.uint8)
    np.save(HERE / "binary_classifier_w1.npy", w1)
    design = parse_design({"name": "features", "n": N, "input_width": 8, "stage": [
        {"kind": "signflip", "seed": 7}, {"kind": "fwht", "overflow": "grow"},
        {"kind": "sign"},
        {"kind": "xnor_popcount", "outputs": FEATURES, "weights": "binary_classifier_w1.npy",
         "result": "threshold", "thresholds": [N // 2] * FEATURES}]}, base=HERE)
    w2 = run(design, prototypes()).astype(np.uint8)        # features of each prototype
    np.save(HERE / "binary_classifier_w2.npy", w2)
    print(f"wrote {HERE / 'binary_classifier_w1.npy'} {w1.shape} and "
          f"{HERE / 'binary_classifier_w2.npy'} {w2.shape}")


if __name__ == "__main__":
    main()
