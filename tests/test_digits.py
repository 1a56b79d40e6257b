"""The trained digit classifiers of examples/digits/: the committed designs, weights and
test split against what train.py makes, their accuracy, and their Verilog."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from nomul.design import load_design
from nomul.golden.functional import run
from nomul.sim import fast

DIGITS = Path(__file__).parent.parent / "examples" / "digits"


def _train_module():
    spec = importlib.util.spec_from_file_location("digits_train", DIGITS / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


train = _train_module()
FORMS = {form.name: form for form in train.FORMS}


@pytest.fixture(scope="module")
def split():
    with np.load(DIGITS / "test_split.npz") as held:
        return {name: held[name] for name in held.files}


@pytest.mark.parametrize("name", FORMS)
def test_the_committed_design_loads(name):
    form = FORMS[name]
    design = load_design(DIGITS / form.file)
    assert design.name == name and design.n == 64 and design.input_width == 5
    assert design.parallelism == form.parallelism
    assert [s.kind for s in design.stages][-2:] == ["xnor_popcount", "argmax"]
    layer = design.stages[-2]
    assert layer.weights_file == form.weights and layer.inputs == form.n
    assert layer.result == "popcount" and layer.outputs == 10
    # Additions, subtractions, XNOR and popcounts only.
    assert {s.kind for s in design.stages} <= {"signflip", "pad", "fwht", "shift", "sign",
                                                "xnor_popcount", "argmax"}


def test_the_design_files_state_the_pixel_map():
    for form in train.FORMS:
        text = (DIGITS / form.file).read_text()
        assert "x = p - 5" in text and "input_width = 5" in text
    assert train.OFFSET == 5
    assert (train.pixels_to_inputs(np.array([0, 16])) == [-5, 11]).all()


@pytest.mark.parametrize("name", FORMS)
def test_golden_accuracy_on_the_test_split(name, split):
    form = FORMS[name]
    design = load_design(DIGITS / form.file)
    inputs, labels = split["inputs"].astype(np.int64), split["labels"].astype(np.int64)
    assert inputs.shape == (540, 64) and labels.shape == (540,)
    predicted = run(design, inputs)[:, 0]
    accuracy = np.mean(predicted == labels)
    assert accuracy >= 0.95, f"{name}: {accuracy:.4f} on the test split"
    # The model that training optimises is the hardware: its classes are the golden's.
    weights = np.load(DIGITS / form.weights)
    bits = train.features(inputs, form.n, form.rounds)
    assert (train.predict(weights, bits) == predicted).all()


def test_the_committed_split_is_the_fixed_split(split):
    pixels, labels = load_digits(return_X_y=True)
    rows = np.arange(len(labels))
    _, x_test, _, y_test, _, test_rows = train_test_split(
        pixels, labels, rows, test_size=0.3, stratify=labels, random_state=0)
    assert (split["indices"] == test_rows).all()
    assert (split["inputs"] == x_test - 5).all()
    assert (split["labels"] == y_test).all()
    # And train.py's own preparation gives the same arrays, types included.
    x_train, x_test, y_train, y_test, test_rows = train.load_split()
    assert len(x_train) == 1257 and len(y_train) == 1257
    prepared = train.test_split_arrays(x_test, y_test, test_rows)
    assert sorted(prepared) == sorted(split)
    for key, value in prepared.items():
        assert value.dtype == split[key].dtype and (value == split[key]).all(), key


def test_retraining_gives_the_committed_files_byte_for_byte(tmp_path, split):
    assert train.main(["--out", str(tmp_path)]) == 0
    for form in train.FORMS:
        for file in (form.weights, form.file):
            assert (tmp_path / file).read_bytes() == (DIGITS / file).read_bytes(), file
    with np.load(tmp_path / train.SPLIT) as again:
        assert all((again[key] == split[key]).all() for key in split)
    # A second run leaves identical files alone (so git sees no change).
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    assert train.main(["--out", str(tmp_path)]) == 0
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before


def test_training_depends_on_the_seed_and_only_on_it():
    rng = np.random.default_rng(5)
    bits = 2 * rng.integers(0, 2, (200, 64)) - 1
    labels = rng.integers(0, 10, 200)
    first = train.train(bits, labels, seed=3, epochs=3)
    assert first.dtype == np.uint8 and first.shape == (10, 64)
    assert train.npy_bytes(first) == train.npy_bytes(train.train(bits, labels, seed=3,
                                                                 epochs=3))
    assert not np.array_equal(first, train.train(bits, labels, seed=4, epochs=3))


@pytest.mark.parametrize("name", FORMS)
def test_a_slice_of_the_test_split_through_the_compiled_lane(name, split, tmp_path):
    """The generated Verilog (Verilator) on 24 test images, every register on every cycle
    against the cycle-level golden model: the Verilog gives the golden model's classes."""
    design = load_design(DIGITS / FORMS[name].file)
    inputs = split["inputs"][:24].astype(np.int64)
    cycles = design.latency + len(inputs) * design.interval + 100
    ready = np.ones(cycles, bool)
    report = fast.run(design, [(inputs, ready, ready, np.zeros(cycles, bool))], tmp_path)
    assert report.mismatch is None
    assert report.vectors == len(inputs)
