"""Benchmark: the CPU peers of the FWHT synthesis figures (bench/synth_fwht.py), on this
machine: the same transform (8-bit inputs, n = 16, 64, 256) as elements per second,

- numpy: int32 butterflies over a batch of vectors (one numpy operation per level for
  the whole batch), exact;
- FFHT (PyPI ``ffht-unofficial``, AVX, float32, one thread): one call per vector, as its
  Python API takes one vector at a time (at small n the call costs more than the
  transform).

Both are checked against nomul's golden model of the wrap FWHT (width 12: their results
mod 2^12) before they are timed; the timing leaves that cut out. The figures go into the section "CPU peers" of BENCHMARKS.md. FFHT builds from
source: ``make bench`` installs it (pybind11, then ``--no-build-isolation``); without it
this script measures numpy alone and says so.

Run: .venv/bin/python bench/cpu_fwht.py [--sizes 16,64,256] [--seconds 1]
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import write_section  # noqa: E402

from nomul.design import parse_design  # noqa: E402
from nomul.golden.functional import run  # noqa: E402

WIDTH = 12
BATCH = 1 << 14


def numpy_fwht(x):
    """The FWHT of every row of the int32 array ``x`` (rows of a power-of-two length), in
    Sylvester order, exact in int32."""
    batch, n = x.shape
    h = 1
    while h < n:
        pairs = x.reshape(batch, n // (2 * h), 2, h)
        a, b = pairs[:, :, 0, :], pairs[:, :, 1, :]
        x = np.stack([a + b, a - b], axis=2).reshape(batch, n)
        h *= 2
    return x


def wrap(values):
    """``values`` mod 2^WIDTH as signed WIDTH-bit integers."""
    return (values + (1 << (WIDTH - 1))) % (1 << WIDTH) - (1 << (WIDTH - 1))


def timed(work, seconds, setup=lambda: None):
    """Three runs of about ``seconds / 3`` each, calling ``setup`` (untimed) then ``work``
    (timed) over and over; the best run's seconds per call of ``work``."""
    best = float("inf")
    for _ in range(3):
        calls, spent = 0, 0.0
        while spent < seconds / 3:
            setup()
            start = time.perf_counter()
            work()
            spent += time.perf_counter() - start
            calls += 1
        best = min(best, spent / calls)
    return best


def measure(n, seconds, ffht):
    """Elements per second of numpy and (when installed) FFHT at ``n``."""
    design = parse_design({"name": "fwht", "n": n, "input_width": 8, "stage": [
        {"kind": "fwht", "overflow": "wrap", "width": WIDTH, "register": 1}]})
    x = np.random.default_rng(n).integers(-128, 128, (BATCH, n)).astype(np.int32)
    golden = run(design, x[:256].astype(np.int64))
    if not (wrap(numpy_fwht(x[:256])) == golden).all():
        raise AssertionError(f"numpy FWHT differs from the golden model at n = {n}")
    figures = {"numpy": BATCH * n / timed(lambda: numpy_fwht(x), seconds)}
    if ffht:
        fresh = x.astype(np.float32)
        rows = fresh.copy()
        check = fresh[:256].copy()
        for row in check:
            ffht.fht_(row)
        if not (wrap(check.astype(np.int64)) == golden).all():
            raise AssertionError(f"FFHT differs from the golden model at n = {n}")

        def transform_each():
            for row in rows:
                ffht.fht_(row)
        # In place: each timed pass starts again from the vectors (FFHT twice is n times
        # the input, so values would grow to infinity over repeated passes).
        figures["FFHT"] = BATCH * n / timed(transform_each, seconds,
                                            lambda: np.copyto(rows, fresh))
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda t: [int(s) for s in t.split(",")],
                        default=[16, 64, 256])
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    try:
        import ffht
    except ImportError:
        ffht = None
        print("FFHT is not installed (make bench installs it: pip install pybind11 "
              "setuptools wheel, then pip install --no-build-isolation ffht-unofficial); "
              "measuring numpy alone")
    cpu = (os.popen("grep -m1 'model name' /proc/cpuinfo").read().split(":")[-1].strip()
           or "this machine's CPU")
    rows = []
    for n in args.sizes:
        figures = measure(n, args.seconds, ffht)
        shown = ", ".join(f"{name} {value / 1e9:.3f}" for name, value in figures.items())
        print(f"n = {n:>4}: 10^9 elements/s: {shown}", flush=True)
        ffht_cell = f"{figures['FFHT'] / 1e9:.3f}" if "FFHT" in figures else "not installed"
        rows.append(f"| {n} | {figures['numpy'] / 1e9:.3f} | {ffht_cell} |")
    write_section("cpu_fwht", "CPU peers of the FWHT (bench/cpu_fwht.py)", "\n".join([
        f"The same transform on {cpu}, one core: 8-bit inputs, results checked against "
        f"the golden model of the wrap FWHT (width {WIDTH}) before timing; best of three "
        "runs. numpy: int32 butterflies over a batch of "
        f"{BATCH:,} vectors. FFHT (ffht-unofficial, AVX, float32): one call per vector "
        "from Python (at small n the call costs more than the transform). "
        "Compare with the FPGA's elements/s in the section above.", "",
        "| n | numpy, 10^9 elements/s | FFHT, 10^9 elements/s |",
        "| ---: | ---: | ---: |", *rows]))


if __name__ == "__main__":
    main()
