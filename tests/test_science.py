"""The science report (issue 13): its theory formulas against the published figures, every
experiment within tolerance at a small size, the report's files, and that a broken golden
model breaks the figures (the experiments really run nomul's designs through it)."""

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:       # `science` is a folder of the repository, not installed
    sys.path.insert(0, str(ROOT))

from nomul.golden import functional     # noqa: E402
from science import experiments         # noqa: E402
from science.__main__ import main       # noqa: E402

KEYS = ["name", "measured", "theory", "tolerance", "pass"]


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    """``python -m science --quick --simulator none`` into a new folder, run once."""
    out = tmp_path_factory.mktemp("science") / "report"
    status = main(["--quick", "--simulator", "none", "--out", str(out)])
    return status, out


# ---------------------------------------------------------------------------------------
# Theory

def test_angle_theory_matches_the_references():
    # REFERENCES.md: 37.07 degrees as d grows, 36.2 at d=27, 36.98 at 256, 37.04 at 1024,
    # and a spread of about 20.2 degrees / sqrt(d).
    assert experiments.THETA_INF == pytest.approx(37.0714, abs=1e-4)
    for d, mean in ((27, 36.2), (256, 36.98), (1024, 37.04)):
        assert experiments.angle_theory(d)[0] == pytest.approx(mean, abs=0.015), d
    assert experiments.angle_theory(400)[1] * 20 == pytest.approx(20.2, abs=0.05)


def test_wrap_theory_matches_the_reference_table():
    table = {1: 0.726, 2: 0.955, 3: 0.9973, 4: 0.99994}
    for ratio, agreement in table.items():
        assert experiments.sign_agreement(ratio) == pytest.approx(agreement, abs=6e-4), ratio
    # A wrap far beyond the values is no wrap: Charikar's 1 - angle/pi, and 37.07 degrees.
    for rho in (-0.5, 0.0, 0.3, 0.9):
        assert experiments.wrapped_collision(rho, 50.0) == pytest.approx(
            experiments.wrapped_collision(rho), abs=1e-6)
    assert experiments.angle_theory(10 ** 9, 50.0)[0] == pytest.approx(
        experiments.THETA_INF, abs=1e-6)


def test_collision_variance_of_orthogonal_hyperplanes():
    # Independent hyperplanes: p (1 - p); a rotation's: less, 1/4 - 1/pi^2 at 90 degrees.
    assert experiments.collision_variance(90, orthogonal=False) == pytest.approx(0.25)
    assert experiments.collision_variance(90) == pytest.approx(0.25 - 1 / math.pi ** 2)
    assert experiments.collision_variance(0) == pytest.approx(0.0, abs=1e-12)


# ---------------------------------------------------------------------------------------
# The run, its files and its figures

def test_quick_run_writes_the_report(quick_report):
    status, out = quick_report
    assert status == 0      # no figure deviates without an explanation
    names = {p.name for p in out.iterdir()}
    assert {"science.md", "science.json", ".nomul-work"} <= names
    text = (out / "science.md").read_text()
    for plot in ("angle.png", "collision.png", "dot_products.png", "cross_polytope.png",
                 "wrap.png", "digits.png"):
        assert plot in names and f"]({plot})" in text, plot
        data = (out / plot).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) < 100_000, plot
    assert "none deviates unexplained" in text


def test_json_is_a_list_of_figures(quick_report):
    _, out = quick_report
    figures = json.loads((out / "science.json").read_text())
    assert isinstance(figures, list) and len(figures) > 40
    for figure in figures:
        assert list(figure) == KEYS, figure
        assert isinstance(figure["name"], str)
        assert all(isinstance(figure[k], float) and math.isfinite(figure[k])
                   for k in ("measured", "theory", "tolerance")), figure
        assert isinstance(figure["pass"], bool)
        assert figure["pass"] == (abs(figure["measured"] - figure["theory"])
                                  <= figure["tolerance"]), figure
    assert len({f["name"] for f in figures}) == len(figures)


def test_the_largest_angle_figure_is_named_angle(quick_report):
    _, out = quick_report
    figures = json.loads((out / "science.json").read_text())
    angle = [f for f in figures if "angle" in f["name"]]
    largest = max(int(f["name"].split("n=")[1].split(",")[0]) for f in angle)
    at_largest = [f for f in angle if f"n={largest}," in f["name"]]
    assert at_largest and all(f["pass"] for f in at_largest)
    assert all(abs(f["theory"] - 37.07) < 0.05 for f in at_largest)
    # Only experiment 1 uses the word, so a search for it finds experiment 1.
    assert all(f["name"].startswith("angle between x and its sign code") for f in angle)


def test_rerun_replaces_its_own_files_but_not_a_folder_of_others(quick_report, tmp_path,
                                                                  capsys):
    from nomul.files import OutputFileError
    from science.report import write_report
    _, out = quick_report
    results = [experiments.wrap(n=64, width=8, vectors=50, pairs=50, curve=(1.0,),
                                curve_vectors=10)]
    assert out / "science.md" in write_report(results, out)     # nomul's folder
    assert "5. Wrap arithmetic" in (out / "science.md").read_text()
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("a user's file\n")
    with pytest.raises(OutputFileError, match="holds files nomul did not put there"):
        write_report(results, other)
    assert (other / "mine.txt").read_text() == "a user's file\n"
    # A file where the folder belongs is refused before any work.
    assert main(["--simulator", "none", "--out", str(other / "mine.txt")]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------
# The experiments go through nomul's golden model

def _skip_a_level(original):
    def fwht(stage, x):
        y, taps = original(stage, x)
        # Undo the last butterfly level: what a model that forgot that level computes.
        half = 1 << (stage.levels - 1)
        a, b = y[:, :half], y[:, half:]
        return np.concatenate([(a + b) // 2, (a - b) // 2], axis=1), taps
    return fwht


def test_a_broken_fwht_in_the_golden_model_breaks_the_angle(monkeypatch):
    sizes = {"ns": (64, 256), "rounds": (1,), "elements": 50_000}
    assert all(f.passed for f in experiments.angle(**sizes).figures)
    monkeypatch.setitem(functional.STEPS, "fwht", _skip_a_level(functional.STEPS["fwht"]))
    broken = [f for f in experiments.angle(**sizes).figures if "angle" in f.name]
    assert broken and not any(f.passed for f in broken)
    assert all(f.measured > 60 for f in broken)         # the code no longer follows x


def test_a_golden_model_that_does_not_wrap_breaks_the_wrap_figures(monkeypatch):
    sizes = {"n": 64, "width": 8, "ratios": (1, 2), "vectors": 200, "pairs": 100,
             "curve": (), "curve_vectors": 10}
    agreement = [f for f in experiments.wrap(**sizes).figures if "agreement" in f.name]
    assert agreement and all(f.passed for f in agreement)
    monkeypatch.setattr(functional, "wrap", lambda x, width: np.asarray(x, dtype=np.int64))
    agreement = [f for f in experiments.wrap(**sizes).figures if "agreement" in f.name]
    assert all(f.measured == 1.0 and not f.passed for f in agreement)


def test_the_spot_check_compares_the_hardware_with_the_golden_model(monkeypatch):
    design = experiments.hd_design("science_tiny", 16, 2)
    x = experiments.gaussian(np.random.default_rng(0), (12, 16))
    spot = experiments.Spot("tiny", design, x, lambda out: f"{int(out.sum())} ones")
    good = experiments.spot_check(spot, "amaranth")
    assert good.passed and good.measured == 0 and "ones" in good.note
    monkeypatch.setitem(functional.STEPS, "fwht", _skip_a_level(functional.STEPS["fwht"]))
    bad = experiments.spot_check(spot, "amaranth")
    assert not bad.passed and bad.measured > 0
