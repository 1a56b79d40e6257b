"""The digit classifiers end to end, from the committed weights (part of `make demo`;
`python examples/digits/demo.py` alone; `--rebuild` builds the board images afresh).

For both designs of examples/digits/ (``digits``, n = 2048, for the ULX3S, and
``digits_up5k``, n = 512, for the iCEBreaker):

1. The golden model classifies the 540 test images of ``test_split.npz`` (the integer
   inputs exactly as the hardware takes them).
2. The generated Verilog runs in the compiled lane (Verilator): all 540 images at full
   rate, then again under random valid/ready stalls, every register, valid bit and
   output compared on every cycle with the cycle-level golden model, so the Verilog
   gives the golden model's class for every image.
3. The board image (framed link, bit-level UART) runs as the virtual board of its board;
   nomul's host sends it the 540 images and compares the classes it sends back.
4. The board image is built, or reused from ``build/digits/`` when the design's Verilog
   and nomul are unchanged: logic cells, flip-flops, block RAM, Fmax, and images per
   second (clock / interval).

Then float baselines on the same split, measured in this run (scikit-learn's logistic
regression and a small MLP on the pixels, logistic regression on the hardware's bits),
and quick sweeps with the golden model: test accuracy against n and the number of HD
rounds, each point trained as train.py trains the designs. Writes ``report/digits.md``
and its PNGs (confusion matrices, sweep, resources).
"""

import argparse
import hashlib
import importlib.util
import io
import json
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from nomul.design import load_design                 # noqa: E402
from nomul.files import write_files                   # noqa: E402
from nomul.golden.functional import run               # noqa: E402
from nomul.sim.patterns import stall_patterns         # noqa: E402
from nomul.verilog import nomul_version, write        # noqa: E402

BUILD = ROOT / "build" / "digits"
REPORT = ROOT / "report"
SWEEP_N = (64, 128, 256, 512, 1024, 2048)
SWEEP_ROUNDS = (1, 2, 3)
STALL_DUTY = 0.8
BOARD_NAMES = {"ulx3s": "ULX3S", "icebreaker": "iCEBreaker"}


def load_train():
    """examples/digits/train.py as a module."""
    spec = importlib.util.spec_from_file_location("digits_train", HERE / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_test_split(path=HERE / "test_split.npz"):
    """``(inputs, labels)`` of the committed test split as ``int64`` arrays."""
    with np.load(path) as split:
        return split["inputs"].astype(np.int64), split["labels"].astype(np.int64)


def classes(design, inputs):
    """The golden model's class of each input vector."""
    return run(design, inputs)[:, 0]


class Steps:
    """Progress lines, each step with the time since the start."""

    def __init__(self):
        self.start = time.perf_counter()

    def __call__(self, line):
        print(f"[{time.perf_counter() - self.start:6.1f} s] {line}", flush=True)

    def sub(self, line):
        print(f"           {line}", flush=True)


@dataclass
class Classifier:
    """One form: its design, board and what the demo found."""
    form: object
    design: object
    predictions: np.ndarray = None
    accuracy: float = None
    verilog: Path = None
    lane: dict = None
    virtual: dict = None
    board: dict = None

    @property
    def name(self):
        return self.design.name


@dataclass
class Results:
    labels: np.ndarray
    baselines: list = field(default_factory=list)       # (name, accuracy)
    sweep: dict = field(default_factory=dict)           # (n, rounds) -> accuracy
    seconds: dict = field(default_factory=dict)         # step -> seconds
    ok: bool = True


# --- the steps ----------------------------------------------------------------------------

def golden_step(c, inputs, results, say):
    c.predictions = classes(c.design, inputs)
    c.accuracy = float(np.mean(c.predictions == results.labels))
    say.sub(f"{np.sum(c.predictions == results.labels)}/{len(inputs)} correct "
            f"({c.accuracy:.2%})")
    c.verilog, _ = write(c.design, BUILD / "verilog")
    say.sub(f"Verilog: {c.verilog.relative_to(ROOT)} and its manifest")


def lane_step(c, inputs, results, say):
    from nomul.sim import fast
    design, count = c.design, len(inputs)
    full = design.latency + count * design.interval + 200
    stalled = int(full / STALL_DUTY ** 2 * 1.3) + 200
    in_valid, out_ready = stall_patterns(12, stalled, STALL_DUTY, STALL_DUTY,
                                         long_stall=2 * design.latency + 5)
    chunks = [(inputs, np.ones(full, bool), np.ones(full, bool), np.zeros(full, bool)),
              (inputs, in_valid, out_ready, np.zeros(stalled, bool))]
    report = fast.run(design, chunks, work=BUILD / f"fast-{design.name}", progress=say.sub)
    ok = report.mismatch is None and report.vectors == 2 * count
    results.ok &= ok
    c.lane = {"vectors": report.vectors, "expected": 2 * count, "cycles": report.cycles,
              "registers": report.registers, "mismatch": report.mismatch,
              "seconds": report.seconds, "build_seconds": report.timing.get("build", 0.0)}
    say.sub(f"{report.vectors}/{2 * count} images (full rate, then {STALL_DUTY:.0%} "
            f"valid/ready), {report.registers} registers x {report.cycles:,} cycles compared: "
            + (f"MISMATCH: {report.mismatch}" if report.mismatch else "0 mismatches")
            + f" ({report.seconds:.1f} s, {c.lane['build_seconds']:.1f} s of it compiling)")


def virtual_step(c, inputs, results, say):
    from nomul.boards import virtual
    from nomul.host import Link, compare, open_port
    marks = {len(inputs) * k // 4 for k in (1, 2, 3)}

    def progress(done, total):
        if done in marks:
            say.sub(f"{done}/{total} images answered")

    with virtual.start(c.design, board=c.form.board, work=BUILD / f"virtual-{c.name}",
                       progress=say.sub) as board:
        with Link(open_port(board.port)) as link:
            result = link.run(c.design, inputs, progress=progress)
    answered = result.results[:, 0]
    comparison = compare(c.design, inputs, result.results)
    ok = comparison.ok and result.received == len(inputs)
    results.ok &= ok
    c.virtual = {"images": int(result.received), "differ": comparison.vectors,
                 "accuracy": float(np.mean(answered == results.labels[:len(answered)])),
                 "retransmissions": result.retransmissions, "seconds": result.seconds,
                 "cycles": board.stats.cycles}
    say.sub(f"{result.received}/{len(inputs)} images answered by the virtual "
            f"{BOARD_NAMES[c.form.board]}, "
            + ("all equal to the golden model's classes" if ok else
               f"MISMATCH: {comparison.vectors} differ from the golden model's classes")
            + f" ({c.virtual['accuracy']:.2%} correct), {result.retransmissions} "
              f"retransmissions, {result.vectors_per_second:.0f} images/s simulated")


def line_rate(design, inputs, baud):
    """Images per second the board link carries at ``baud`` (10 bits per byte, full
    frames of these images, the busier direction), as ``bench/link.py`` reckons it."""
    from nomul import protocol
    params = protocol.LinkParams.of(design)
    k = params.vectors_per_frame
    sent = len(protocol.encode(protocol.VECTORS, 0, protocol.pack_vectors(design, inputs[:k])))
    answer = len(protocol.encode(protocol.RESULTS, 0, bytes(k * params.out_bytes), lead=False))
    return baud / 10 * k / max(sent, answer)


def board_step(c, inputs, rebuild, results, say):
    from nomul.boards.build import build_board
    board, design = c.form.board, c.design
    out = BUILD / f"board-{board}"
    stamp_file = out / "digits-stamp.json"
    # What a cached image must have been built from: the design's Verilog, and nomul.
    stamp = {"design": design.name, "board": board, "image": "link",
             "verilog_sha256": hashlib.sha256(c.verilog.read_bytes()).hexdigest(),
             "nomul_version": nomul_version()}
    reused = False
    if (not rebuild and stamp_file.is_file() and (out / "report.json").is_file()
            and json.loads(stamp_file.read_text()) == stamp):
        report = json.loads((out / "report.json").read_text())
        reused = Path(report["bitstream"]).is_file()
    if reused:
        say.sub(f"reusing {Path(report['bitstream']).relative_to(ROOT)} (built from the "
                "same Verilog; --rebuild builds it again)")
    else:
        stamp_file.unlink(missing_ok=True)
        build_board(design, board, out, progress=say.sub)
        report = json.loads((out / "report.json").read_text())
        write_files({stamp_file: json.dumps(stamp, indent=2) + "\n"}, force=True)
    placed = json.loads((out / f"{design.name}_report.json").read_text())["utilization"]
    ram = placed.get("ICESTORM_RAM") or placed.get("DP16KD") or {"used": 0, "available": 0}
    report.update(block_ram=ram["used"], block_ram_available=ram["available"],
                  interval=design.interval, parallelism=design.parallelism,
                  images_per_second=report["clock_mhz"] * 1e6 / design.interval,
                  line_images_per_second=line_rate(design, inputs, report["baud"]),
                  reused=reused)
    c.board = report
    fmax = f"{report['fmax_mhz']:.1f}" if report["fmax_mhz"] else "?"
    say.sub(f"{report['logic_cells']:,} of {report['logic_cells_available']:,} logic cells, "
            f"{report['flip_flops']:,} flip-flops, {ram['used']} of {ram['available']} block "
            f"RAMs, Fmax {fmax} MHz at {report['clock_mhz']:g} MHz: "
            f"{report['images_per_second']:,.0f} images/s (one every {design.interval} "
            f"cycles); the link at {report['baud']:,} baud carries "
            f"{report['line_images_per_second']:,.0f}")


def baseline_step(train, classifiers, results, say):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    x_train, x_test, y_train, y_test, _ = train.load_split()
    models = [
        ("logistic regression on the pixels", x_train, x_test,
         make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))),
        ("MLP on the pixels (64 hidden ReLU units)", x_train, x_test,
         make_pipeline(StandardScaler(), MLPClassifier((64,), max_iter=1000,
                                                       random_state=0)))]
    for c in classifiers:
        n, rounds = c.form.n, c.form.rounds
        models.append((f"logistic regression on the {n} hardware bits of `{c.name}`",
                       train.features(x_train, n, rounds), train.features(x_test, n, rounds),
                       LogisticRegression(max_iter=2000)))
    for name, fit_x, test_x, model in models:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(fit_x, y_train)
        accuracy = float(model.score(test_x, y_test))
        results.baselines.append((name, accuracy))
        say.sub(f"{name}: {accuracy:.2%}")


def sweep_step(train, results, say):
    x_train, x_test, y_train, y_test, _ = train.load_split()
    both = np.concatenate([x_train, x_test])
    for rounds in SWEEP_ROUNDS:
        row = []
        for n in SWEEP_N:
            bits = train.features(both, n, rounds)
            weights = train.train(bits[:len(x_train)], y_train)
            accuracy = float(np.mean(train.predict(weights, bits[len(x_train):]) == y_test))
            results.sweep[(n, rounds)] = accuracy
            row.append(f"{n}: {accuracy:.3f}")
        say.sub(f"{rounds} HD round{'s' * (rounds > 1)}: " + ", ".join(row))


# --- plots and report -------------------------------------------------------------------

def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight",
                   metadata={"Software": None})
    return buffer.getvalue()


def plots(classifiers, results):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    files = {}

    figure, panels = plt.subplots(1, len(classifiers), figsize=(5 * len(classifiers), 4.4))
    for axes, c in zip(np.atleast_1d(panels), classifiers):
        matrix = np.zeros((10, 10), dtype=np.int64)
        np.add.at(matrix, (results.labels, c.predictions), 1)
        axes.imshow(matrix, cmap="Blues")
        for (i, j), count in np.ndenumerate(matrix):
            if count:
                axes.text(j, i, str(count), ha="center", va="center", fontsize=8,
                          color="white" if count > matrix.max() / 2 else "black")
        axes.set_xticks(range(10))
        axes.set_yticks(range(10))
        axes.set_xlabel("class the hardware gives")
        axes.set_ylabel("true class")
        axes.set_title(f"{c.name} (n = {c.form.n}): {c.accuracy:.2%} of 540")
    files["digits_confusion.png"] = _png(figure)
    plt.close(figure)

    figure, axes = plt.subplots(figsize=(6.6, 4.4))
    for rounds in SWEEP_ROUNDS:
        axes.plot(SWEEP_N, [results.sweep[(n, rounds)] for n in SWEEP_N], marker="o",
                  label=f"{rounds} HD round{'s' * (rounds > 1)}")
    for c, marker in zip(classifiers, ("*", "P")):
        axes.plot([c.form.n], [c.accuracy], marker=marker, markersize=15, linestyle="none",
                  markerfacecolor="none", markeredgecolor="black", markeredgewidth=1.5,
                  zorder=5, label=f"{c.name} ({BOARD_NAMES[c.form.board]})")
    for (name, value), style in zip(results.baselines[:2], (":", "--")):
        axes.axhline(value, color="gray", linestyle=style, linewidth=1,
                     label=f"float: {name}")
    axes.set_xscale("log", base=2)
    axes.set_xticks(SWEEP_N, [str(n) for n in SWEEP_N])
    axes.set_xlabel("n (bits after the HD rounds)")
    axes.set_ylabel("test accuracy (golden model)")
    axes.set_ylim(min(0.75, min(results.sweep.values()) - 0.02), 1.0)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="lower right")
    files["digits_sweep.png"] = _png(figure)
    plt.close(figure)

    built = [c for c in classifiers if c.board]
    if built:
        figure, axes = plt.subplots(figsize=(6.6, 3.6))
        kinds = (("logic cells", "logic_cells", "logic_cells_available"),
                 ("flip-flops", "flip_flops", "logic_cells_available"),
                 ("block RAMs", "block_ram", "block_ram_available"))
        width = 0.8 / len(built)
        for k, c in enumerate(built):
            b = c.board
            shares = [100 * b[used] / b[available] for _, used, available in kinds]
            bars = axes.bar(np.arange(len(kinds)) + (k - (len(built) - 1) / 2) * width,
                            shares, width,
                            label=f"{BOARD_NAMES[c.form.board]}: {c.name} (n = {c.form.n})")
            for bar, (_, used, available) in zip(bars, kinds):
                axes.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 1,
                          f"{b[used]:,}\nof {b[available]:,}", ha="center", fontsize=7)
        axes.set_xticks(range(len(kinds)), [name for name, *_ in kinds])
        axes.set_ylabel("% of the device")
        axes.set_ylim(0, 130)
        axes.set_title("link images: the design behind the UART link")
        axes.legend(fontsize=8, loc="upper right")
        files["digits_resources.png"] = _png(figure)
        plt.close(figure)
    return files


def report_text(train, classifiers, results):
    count = len(results.labels)
    lines = [
        "# Digits: trained no-multiply classifiers on real data",
        "",
        "Written by `examples/digits/demo.py` (`make demo`) from the committed designs and",
        "weights in `examples/digits/`; `make digits` retrains them "
        "(`examples/digits/train.py`).",
        "The data: scikit-learn's `load_digits` (8 x 8 images), split by "
        "`train_test_split(X, y,",
        "test_size=0.3, stratify=y, random_state=0)`: 1,257 images to train on, "
        f"{count} to test.",
        "",
        "| design | board | n | test accuracy of the hardware | logic cells | Fmax | "
        "images/s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for c in classifiers:
        b = c.board
        cells = f"{b['logic_cells']:,} of {b['logic_cells_available']:,}" if b else "-"
        fmax = f"{b['fmax_mhz']:.1f} MHz" if b and b["fmax_mhz"] else "-"
        rate = f"{b['images_per_second']:,.0f}" if b else "-"
        lines.append(f"| `examples/digits/{c.form.file}` | {BOARD_NAMES[c.form.board]} | "
                     f"{c.form.n} | **{c.accuracy:.2%}** "
                     f"({np.sum(c.predictions == results.labels)} of {count}) | {cells} | "
                     f"{fmax} | {rate} |")
    lines += [
        "",
        "## The designs",
        "",
        "Each image goes in as 64 signed 5-bit integers, `x = pixel - 5` (pixels 0..16), "
        "row by row.",
        "Then two HD rounds: a sign flip, zero padding to n, an FWHT mod 2^11 (exact), a "
        "shift right",
        "by 3, a second sign flip, an exact FWHT; the sign of each element (n bits); one "
        "XNOR-popcount",
        "neuron per class with trained binary weights; argmax over the ten popcounts. Only "
        "additions,",
        "subtractions, XNOR and popcounts: no multiplier, no DSP block. The neurons are "
        "trained with",
        "the straight-through estimator and a multi-class hinge loss in integer arithmetic "
        f"(seed {train.SEED}:",
        "the same weights byte for byte on every run).",
        "",
        "| design | n | elements per beat | latency | one image every |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for c in classifiers:
        lines.append(f"| `{c.name}` | {c.form.n} | {c.design.parallelism} | "
                     f"{c.design.latency:,} cycles | {c.design.interval} cycles |")
    lines += ["", "## Accuracy on the 540 test images", "",
              "| classifier | test accuracy |", "| --- | ---: |"]
    for c in classifiers:
        lines.append(f"| `{c.name}`, n = {c.form.n}: golden model = generated Verilog, no "
                     f"multiplier | {c.accuracy:.2%} |")
    for c in classifiers:
        if c.virtual:
            lines.append(f"| `{c.name}` on the virtual {BOARD_NAMES[c.form.board]}, classes "
                         f"read back over the link | {c.virtual['accuracy']:.2%} |")
    for name, accuracy in results.baselines:
        lines.append(f"| float: {name} | {accuracy:.2%} |")
    costs = []
    for c in classifiers:
        float_bits = dict(results.baselines).get(
            f"logistic regression on the {c.form.n} hardware bits of `{c.name}`")
        if float_bits is not None:
            cost = round(100 * (float_bits - c.accuracy), 1)
            costs.append(f"{cost:.1f} points at n = {c.form.n}" if cost > 0 else
                         f"nothing at n = {c.form.n}" if cost == 0 else
                         f"nothing at n = {c.form.n} (they do {-cost:.1f} points better)")
    lines += ["",
              "The float rows are measured in the same run. Logistic regression on the "
              "hardware's own bits",
              "has float weights where the designs have binary ones; the binary weights "
              "cost " + " and ".join(costs) + ".", "",
              "![confusion matrices](digits_confusion.png)", "",
              "## The hardware gives the golden model's class for every image", ""]
    for c in classifiers:
        lane = c.lane
        if lane:
            status = ("every register, valid bit and output equal to the cycle-level golden "
                      "model's on every cycle" if lane["mismatch"] is None
                      else f"**MISMATCH**: {lane['mismatch']}")
            lines.append(
                f"- `{c.name}`, compiled lane (Verilator): the {count} test images at full "
                f"rate, then again under random {STALL_DUTY:.0%} valid/ready stalls; "
                f"{lane['vectors']:,} of {lane['expected']:,} classes out, "
                f"{lane['registers']} registers x {lane['cycles']:,} cycles: {status}. The "
                "model's outputs are the golden model's classes, so the Verilog gives the "
                f"golden model's class for every image ({lane['seconds']:.0f} s, "
                f"{lane['build_seconds']:.0f} s of it compiling).")
        if c.virtual:
            v = c.virtual
            lines.append(
                f"- `{c.name}`, virtual {BOARD_NAMES[c.form.board]} (the link image with its "
                "bit-level UART, compiled by Verilator, behind a pseudo-terminal; "
                f"`nomul virtual-board`): {v['images']} of {count} images answered over the "
                "link, "
                + ("every class equal to the golden model's" if v["differ"] == 0 else
                   f"**{v['differ']} classes differ from the golden model's**")
                + f", {v['retransmissions']} retransmissions ({v['cycles']:,} cycles, "
                  f"{v['seconds']:.1f} s).")
    built = [c for c in classifiers if c.board]
    if built:
        lines += ["", "## On the boards", "",
                  "Link images (`nomul build`): the design behind the framed UART link at "
                  "1 Mbaud.", "",
                  "| board | design | logic cells | flip-flops | block RAM | Fmax | clock | "
                  "images/s (clock / interval) | images/s over the link | build |",
                  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for c in built:
            b = c.board
            fmax = f"{b['fmax_mhz']:.1f} MHz" if b["fmax_mhz"] else "?"
            lines.append(
                f"| {BOARD_NAMES[c.form.board]} | `{c.name}` (n = {c.form.n}, "
                f"p = {b['parallelism']}) | {b['logic_cells']:,} of "
                f"{b['logic_cells_available']:,} | {b['flip_flops']:,} | {b['block_ram']} of "
                f"{b['block_ram_available']} | {fmax} | {b['clock_mhz']:g} MHz | "
                f"{b['images_per_second']:,.0f} | {b['line_images_per_second']:,.0f} | "
                f"{b['seconds']:.0f} s"
                + (" (reused)" if b["reused"] else "") + " |")
        lines += ["",
                  "On a real board the UART is the limit, not the design: the link carries "
                  "the images (5-bit",
                  "pixels packed per beat, COBS-stuffed frames with a CRC) far slower than "
                  "the design takes them.", "",
                  "![resources](digits_resources.png)"]
    lines += ["", "## Accuracy against n and HD rounds", "",
              "Golden model only; each point trained as `train.py` trains the designs "
              "(margin n / 8, seed",
              f"{train.SEED}). One round over a zero-padded input only repeats the "
              "64-point transform: a larger",
              "n gives its 64 distinct bits finer weights (copies with separate binary "
              "weights), not new",
              "bits. The second round mixes the copies into new ones.", "",
              "| HD rounds | " + " | ".join(f"n = {n}" for n in SWEEP_N) + " |",
              "| --- | " + " | ".join("---:" for _ in SWEEP_N) + " |"]
    for rounds in SWEEP_ROUNDS:
        lines.append(f"| {rounds} | " + " | ".join(
            f"{results.sweep[(n, rounds)]:.1%}" for n in SWEEP_N) + " |")
    lines += ["", "![accuracy against n and HD rounds](digits_sweep.png)", "",
              "## Timings of this run", "", "| step | seconds |", "| --- | ---: |"]
    for step, seconds in results.seconds.items():
        lines.append(f"| {step} | {seconds:.0f} |")
    lines += ["", f"nomul {nomul_version()}.", ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true",
                        help="build the board images even when build/digits/ holds them")
    parser.add_argument("--no-boards", action="store_true",
                        help="skip the board images (no synthesis tools needed)")
    args = parser.parse_args(argv)
    say = Steps()
    train = load_train()
    inputs, labels = load_test_split()
    results = Results(labels)
    classifiers = [Classifier(form, load_design(HERE / form.file)) for form in train.FORMS]

    def step(name, function, *arguments):
        start = time.perf_counter()
        say(name)
        function(*arguments)
        results.seconds[name] = time.perf_counter() - start

    print("digits: the trained classifiers of examples/digits/ -> report/digits.md")
    for c in classifiers:
        where = f"{c.name} (n = {c.form.n}, {BOARD_NAMES[c.form.board]})"
        step(f"{where}: golden model on the {len(inputs)} test images", golden_step, c,
             inputs, results, say)
        step(f"{where}: compiled lane", lane_step, c, inputs, results, say)
        step(f"{where}: virtual board", virtual_step, c, inputs, results, say)
        if not args.no_boards:
            step(f"{where}: board image", board_step, c, inputs, args.rebuild, results,
                 say)
    step("float baselines", baseline_step, train, classifiers, results, say)
    step("sweep over n and HD rounds", sweep_step, train, results, say)
    results.seconds["all"] = time.perf_counter() - say.start
    files = {REPORT / name: data for name, data in plots(classifiers, results).items()}
    files[REPORT / "digits.md"] = report_text(train, classifiers, results)
    REPORT.mkdir(exist_ok=True)
    write_files(files, force=True)
    say("wrote " + ", ".join(str(p.relative_to(ROOT)) for p in files))
    print("digits: all checks passed" if results.ok else "digits: SOME CHECKS FAILED")
    return 0 if results.ok else 1


if __name__ == "__main__":
    sys.exit(main())
