"""Trains the no-multiply digit classifiers of examples/digits/ and writes their design
files, weights and the test split (``python examples/digits/train.py``; ``make digits``).

Data: scikit-learn's bundled ``load_digits`` (1,797 images of 8 x 8 pixels, 0..16), split
by ``train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)``: 1,257 images to
train on, 540 to test. The hardware takes each image as 64 signed 5-bit integers,
``pixel - 5`` (-5..11), row by row.

Each design (all of it additions, subtractions, XNOR and popcounts)::

    x = pixel - 5 -> signflip (64) -> pad to n -> FWHT (mod 2^11, exact)
        -> shift 3 -> signflip (n) -> FWHT (grow, exact) -> sign
        -> XNOR-popcount (10 neurons over the n bits, trained) -> argmax

Two forms, one per board: ``digits.toml`` (n = 2048, 4 elements per beat) for the ULX3S
and ``digits_up5k.toml`` (n = 512, one element per beat, the most that fits the
iCEBreaker's UP5K behind the board link).

The two HD rounds and the sign are fixed: ``n`` random-hyperplane bits of the image. Only
the last layer is trained: ten binary neurons, one per class, whose popcounts argmax
compares. Training is the straight-through estimator with a multi-class hinge loss, in
integers only: each neuron keeps an integer latent weight per bit, clipped to
``+-LIMIT`` (the hard-tanh window of the estimator), and its binary weight is the sign
of it (0 counts as +1). For every image of a mini-batch whose true class does not lead
its strongest rival by the margin ``n / 8`` (in +-1 dot products), the gradient of the
loss with respect to the binary weights, passed straight through the sign, adds the
image's +-1 bits to the true class's latent weights and subtracts them from the rival's.
The seed drives SplitMix64 (nomul.seeded: the initial latent weights and each epoch's
order of the images) and the rest is integer arithmetic, so the same seed gives the same
weights byte for byte on every machine and with every numpy.

The hyperparameters (margin, limit, batch, epochs, the pixel offset, n and the rounds)
were chosen by 4-fold cross-validation on the training split (``--cv`` prints that
estimate). No batch norm: the trained layer feeds argmax directly, which needs no
threshold (a per-class offset, the one thing batch norm could add there, did not help in
cross-validation, nor did a hidden binary layer of 64 to 256 neurons whose batch norm
would fold into thresholds).
"""

import argparse
import io
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:       # run from a clone without installing nomul
    sys.path.insert(0, str(ROOT))

from nomul.design import parse_design          # noqa: E402
from nomul.files import write_files            # noqa: E402
from nomul.golden.functional import run        # noqa: E402
from nomul.seeded import splitmix64            # noqa: E402

SEED = 1
OFFSET = 5              # input = pixel - OFFSET
INPUT_WIDTH = 5         # -5..11 fits signed 5 bits
CLASSES = 10
SIGNFLIP_SEEDS = (1, 2, 3)      # round r's sign flip
EPOCHS = 60
BATCH = 16
LIMIT = 32              # latent weights stay within -LIMIT..LIMIT
INIT = 8                # and start uniform in -INIT..INIT
SPLIT = "test_split.npz"


@dataclass(frozen=True)
class Form:
    """One design file: the classifier over ``n`` bits after ``rounds`` HD rounds, taking
    ``parallelism`` elements per beat, built for ``board``."""
    file: str
    name: str
    board: str
    n: int
    rounds: int
    parallelism: int
    weights: str
    comment: str


FORMS = (
    Form("digits.toml", "digits", "ulx3s", 2048, 2, 4, "digits_w.npy",
         "For the ULX3S (`nomul build --board ulx3s`): n = 2048, 4 elements per beat\n"
         "# (16 beats per image, 512 per padded vector). digits_up5k.toml is the smaller\n"
         "# classifier (n = 512) that fits the iCEBreaker."),
    Form("digits_up5k.toml", "digits_up5k", "icebreaker", 512, 2, 1, "digits_up5k_w.npy",
         "For the iCEBreaker (`nomul build --board icebreaker`): n = 512, one element per\n"
         "# beat (64 beats per image, 512 per padded vector): the most that fits the\n"
         "# iCE40 UP5K behind the board link. digits.toml is the larger classifier\n"
         "# (n = 2048) for the ULX3S."),
)


# --- data -------------------------------------------------------------------------------

def pixels_to_inputs(pixels):
    """The affine pixel map: pixel values 0..16 as the hardware's signed inputs."""
    return np.asarray(pixels, dtype=np.int64) - OFFSET


def load_split():
    """``(x_train, x_test, y_train, y_test, test_indices)``: the fixed split of
    ``load_digits``, pixels mapped to the hardware's inputs (``int64``); ``test_indices``
    are the test images' rows in ``load_digits``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    pixels, labels = load_digits(return_X_y=True)
    rows = np.arange(len(labels))
    x_train, x_test, y_train, y_test, _, test_rows = train_test_split(
        pixels.astype(np.int64), labels.astype(np.int64), rows, test_size=0.3,
        stratify=labels, random_state=0)
    return (pixels_to_inputs(x_train), pixels_to_inputs(x_test), y_train, y_test, test_rows)


# --- the design -------------------------------------------------------------------------

def hd_stages(n, rounds):
    """The stage tables of the fixed part: sign flip, pad to ``n``, then ``rounds`` HD
    rounds (a shift and a sign flip before each after the first) and the sign. Every
    FWHT is exact for inputs in the pixel map's range: the first sees at most 64 nonzero
    elements of magnitude at most 11 (704 < 2**10), the later ones grow a bit per level."""
    levels = n.bit_length() - 1
    stages = [{"kind": "signflip", "seed": SIGNFLIP_SEEDS[0]}]
    if n > 64:
        stages.append({"kind": "pad", "n": n})
    for r in range(rounds):
        if r:
            # After round 1 (at most 64 nonzero inputs) divide by sqrt(64) = 8, after
            # later rounds by about sqrt(n) (floor).
            stages += [{"kind": "shift", "bits": 3 if r == 1 else levels // 2},
                       {"kind": "signflip", "seed": SIGNFLIP_SEEDS[r]}]
        if r == 0 and n > 64:
            stages.append({"kind": "fwht", "width": 11})
        else:
            stages.append({"kind": "fwht", "overflow": "grow"})
    stages.append({"kind": "sign"})
    return stages


def classifier_stages(weights):
    return [{"kind": "xnor_popcount", "outputs": CLASSES, "weights": weights,
             "result": "popcount"}, {"kind": "argmax"}]


def hd_design(n, rounds):
    """The fixed part as a design of its own: 64 inputs in, ``n`` bits out."""
    return parse_design({"name": "digits_hd", "n": 64, "input_width": INPUT_WIDTH,
                         "stage": hd_stages(n, rounds)})


def features(x, n, rounds):
    """The hardware's sign bits of inputs ``x`` as +-1 (``int64``), from the golden model."""
    return 2 * run(hd_design(n, rounds), x) - 1


# --- training ---------------------------------------------------------------------------

def binary_weights(latent):
    return np.where(latent >= 0, 1, -1).astype(np.int64)


def train(bits, labels, seed=SEED, epochs=EPOCHS, batch=BATCH, margin=None):
    """The trained layer's weights (``CLASSES x n`` of 0/1, ``uint8``; 1 stands for +1)
    for +-1 features ``bits`` (``images x n``) and their ``labels``. ``margin`` defaults
    to ``n / 8``. The initial latent weights and each epoch's order of the images come
    from SplitMix64 seeded with ``seed`` (:mod:`nomul.seeded`, fixed for every machine
    and release), and the rest is integer arithmetic: the same bytes everywhere."""
    images, n = bits.shape
    margin = n // 8 if margin is None else margin
    bits = np.asarray(bits, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    draws = splitmix64(seed, CLASSES * n + epochs * images)
    latent = (draws[:CLASSES * n] % np.uint64(2 * INIT + 1)).astype(np.int64) - INIT
    latent = latent.reshape(CLASSES, n)
    one_hot = np.eye(CLASSES, dtype=np.int64)
    for epoch in range(epochs):
        start = CLASSES * n + epoch * images
        order = np.argsort(draws[start:start + images], kind="stable")
        for first in range(0, images, batch):
            rows = order[first:first + batch]
            x, y = bits[rows], labels[rows]
            scores = x @ binary_weights(latent).T           # +-1 dot products: exact
            here = np.arange(len(rows))
            true = scores[here, y]
            scores[here, y] = np.iinfo(np.int64).min
            rival = np.argmax(scores, axis=1)
            short = true - scores[here, rival] < margin
            if short.any():
                latent += (one_hot[y[short]] - one_hot[rival[short]]).T @ x[short]
                np.clip(latent, -LIMIT, LIMIT, out=latent)
    return (binary_weights(latent) > 0).astype(np.uint8)


def predict(weights, bits):
    """The classes the hardware gives: argmax of the popcounts, lowest on ties."""
    agree = bits @ (2 * weights.astype(np.int64) - 1).T       # 2 * popcount - n
    return np.argmax(agree, axis=1)


def cross_validate(bits, labels, folds=4, **options):
    """The mean accuracy of :func:`train` over stratified folds of the given images."""
    from sklearn.model_selection import StratifiedKFold
    scores = []
    for fit, held in StratifiedKFold(folds, shuffle=True, random_state=0).split(bits, labels):
        weights = train(bits[fit], labels[fit], **options)
        scores.append(np.mean(predict(weights, bits[held]) == labels[held]))
    return float(np.mean(scores))


# --- files ------------------------------------------------------------------------------

def design_text(form):
    """The design file of ``form``, every stage commented."""
    levels = form.n.bit_length() - 1
    lines = [
        "# A digit classifier of examples/digits/, written by train.py (`make digits`",
        f"# retrains it; {form.weights} holds the trained layer).",
        f"# {form.comment}",
        "#",
        "# Input: one 8 x 8 image of scikit-learn's load_digits, row by row, each pixel",
        "# p = 0..16 mapped by the affine map  x = p - 5  to a signed 5-bit integer (-5..11):",
        "# the host sends x, not p (test_split.npz holds the test images mapped).",
        "# Output: the class 0..9. Only additions, subtractions, XNOR and popcounts.",
        f'name = "{form.name}"',
        "n = 64",
        f"input_width = {INPUT_WIDTH}",
        f"parallelism = {form.parallelism}",
        "",
    ]
    notes = {
        ("signflip", 0): "the first HD round's random signs",
        "pad": f"zeros to {form.n}: the FWHT repeats the 64-point transform "
               f"{form.n // 64} times",
        ("fwht", 0): "mod 2^11, exact: at most 64 x 11 = 704 in magnitude",
        "shift": "divide by 8 = sqrt(64) (floor): 8-bit elements, at most 88",
        ("signflip", 1): "the second round's signs, different on each repeat",
        ("fwht", 1): f"exact: 8 + {levels} = {8 + levels} bits",
        "sign": f"{form.n} random-hyperplane bits of the image",
        "xnor_popcount": "one trained binary neuron per class: its agreement with the bits",
        "argmax": "the class with the largest popcount, lowest on ties",
    }
    seen = {}
    for table in hd_stages(form.n, form.rounds) + classifier_stages(form.weights):
        kind = table["kind"]
        count = seen.get(kind, 0)
        seen[kind] = count + 1
        note = notes.get((kind, count), notes.get(kind))
        lines.append("[[stage]]")
        lines.append(f'kind = "{kind}"'.ljust(28) + (f"# {note}" if note else ""))
        for key, value in table.items():
            if key != "kind":
                shown = f'"{value}"' if isinstance(value, str) else str(value)
                lines.append(f"{key} = {shown}")
        lines.append("")
    return "\n".join(lines)


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_split_arrays(x_test, y_test, test_rows):
    """What ``test_split.npz`` holds: ``inputs`` (540 x 64, the hardware's inputs),
    ``labels`` and ``indices`` (the images' rows in ``load_digits``)."""
    return {"inputs": x_test.astype(np.int8), "labels": y_test.astype(np.uint8),
            "indices": test_rows.astype(np.int16)}


def split_unchanged(path, arrays):
    """Whether the ``.npz`` at ``path`` already holds exactly ``arrays``."""
    try:
        with np.load(path) as held:
            return (sorted(held.files) == sorted(arrays) and all(
                held[k].dtype == v.dtype and np.array_equal(held[k], v)
                for k, v in arrays.items()))
    except (OSError, ValueError):
        return False


def write_outputs(folder, weights, x_test, y_test, test_rows):
    """Writes each form's weights (``weights``: file name -> array) and design file, and
    the test split, into ``folder``: atomically, leaving a file that already holds the
    same content alone. Returns the paths."""
    folder = Path(folder)
    contents = {folder / name: npy_bytes(array) for name, array in weights.items()}
    contents.update({folder / form.file: design_text(form) for form in FORMS})
    write_files(contents, force=True)
    arrays = test_split_arrays(x_test, y_test, test_rows)
    if not split_unchanged(folder / SPLIT, arrays):
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        write_files({folder / SPLIT: buffer.getvalue()}, force=True)
    return list(contents) + [folder / SPLIT]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=SEED, help=f"training seed ({SEED})")
    parser.add_argument("--out", type=Path, default=HERE,
                        help="folder for the design files, weights and test split "
                             "(default: examples/digits)")
    parser.add_argument("--cv", action="store_true",
                        help="also print the 4-fold cross-validation accuracy on the "
                             "training split")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    x_train, x_test, y_train, y_test, test_rows = load_split()
    weights = {}
    for form in FORMS:
        clock = time.perf_counter()
        bits_train = features(x_train, form.n, form.rounds)
        bits_test = features(x_test, form.n, form.rounds)
        if args.cv:
            print(f"{form.name}: 4-fold cross-validation on the training split: "
                  f"{cross_validate(bits_train, y_train, seed=args.seed):.4f}")
        trained = train(bits_train, y_train, seed=args.seed)
        weights[form.weights] = trained
        print(f"{form.name}: {CLASSES} binary neurons over n = {form.n} bits after "
              f"{form.rounds} HD rounds, seed {args.seed}, {EPOCHS} epochs "
              f"({time.perf_counter() - clock:.1f} s): training accuracy "
              f"{np.mean(predict(trained, bits_train) == y_train):.4f}, test accuracy "
              f"{np.mean(predict(trained, bits_test) == y_test):.4f}")
    args.out.mkdir(parents=True, exist_ok=True)
    written = write_outputs(args.out, weights, x_test, y_test, test_rows)
    print("wrote " + ", ".join(str(p.relative_to(ROOT) if p.is_relative_to(ROOT) else p)
                               for p in written)
          + f" ({time.perf_counter() - start:.1f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
