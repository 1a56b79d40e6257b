"""Synthesis sweeps: the FWHT over a grid of parameters and targets, in parallel
processes, written as CSV and plotted (logic cells and Fmax against n, a line per
target)."""

import csv
import io
import itertools
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from ..design import parse_design
from ..files import prepare_work_folder, write_files
from .synth import ToolError, synthesize

__all__ = ["Point", "grid", "run_sweep", "plot"]

COLUMNS = ["n", "input_width", "overflow", "width", "register", "target", "status",
           "logic_cells", "luts", "carry_cells", "carry_bits", "flip_flops", "bram", "dsp",
           "fmax_mhz", "floor_adder_bits", "floor_flip_flops", "cells_per_adder_bit",
           "seconds"]


@dataclass(frozen=True)
class Point:
    n: int
    input_width: int
    overflow: str
    width: int | None
    register: int
    target: str

    @property
    def name(self):
        width = f"w{self.width}" if self.width is not None else "grow"
        return f"fwht{self.n}_i{self.input_width}_{width}_r{self.register}"

    def design(self):
        stage = {"kind": "fwht", "overflow": self.overflow, "register": self.register}
        if self.width is not None:
            stage["width"] = self.width
        return parse_design({"name": self.name, "n": self.n, "input_width": self.input_width,
                             "stage": [stage]}, source=f"sweep point {self.name}")


def grid(ns, input_width, overflows, widths, registers, targets):
    """``(points, left out)``: every combination of the distinct values given, once;
    ``width`` applies to wrap only, and the combinations whose register is above log2(n)
    are left out (counted)."""
    unique = lambda values: list(dict.fromkeys(values))
    points, left_out = [], 0
    for n, overflow, register, target in itertools.product(
            unique(ns), unique(overflows), unique(registers), unique(targets)):
        for width in (unique(widths) if overflow == "wrap" else [None]):
            if register > n.bit_length() - 1:
                left_out += 1
            else:
                points.append(Point(n, input_width, overflow, width, register, target))
    return points, left_out


def _one(point, work):
    """Runs one point (in a worker process); returns its CSV row."""
    row = {"n": point.n, "input_width": point.input_width, "overflow": point.overflow,
           "width": point.width or "", "register": point.register, "target": point.target}
    try:
        result = synthesize(point.design(), point.target,
                            work=Path(work) / f"{point.name}-{point.target}",
                            progress=lambda line: None)
    except ToolError as error:
        return {**row, "status": str(error)}
    cells = result.cells
    return {**row, "status": cells.not_placed or "ok", **{k: getattr(cells, k) for k in (
        "logic_cells", "luts", "carry_cells", "carry_bits", "flip_flops", "bram", "dsp",
        "fmax_mhz")},
        "floor_adder_bits": result.floor_adder_bits,
        "floor_flip_flops": result.floor_flip_flops,
        "cells_per_adder_bit": (round(cells.logic_cells / result.floor_adder_bits, 3)
                                if cells.logic_cells else ""),
        "seconds": result.seconds}


def run_sweep(points, out_dir, jobs=None, progress=print):
    """Synthesizes every point in ``jobs`` processes; writes ``sweep.csv`` and
    ``sweep.png`` in ``out_dir`` and returns the rows."""
    out_dir = prepare_work_folder(out_dir, "sweep folder")
    jobs = jobs or min(len(points), os.cpu_count() or 1)
    rows = [None] * len(points)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(_one, point, out_dir / "runs"): i for i, point in enumerate(points)}
        for done, future in enumerate(as_completed(futures), start=1):
            index = futures[future]
            point, row = points[index], future.result()
            rows[index] = row
            figures = (f"{row['logic_cells']} logic cells, {row['fmax_mhz']} MHz"
                       if row["status"] == "ok" else row["status"])
            bar = "#" * (20 * done // len(points))
            progress(f"[{bar:<20}] {done}/{len(points)} {point.name} on {point.target}: {figures}")
    table = io.StringIO(newline="")
    writer = csv.DictWriter(table, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    write_files({out_dir / "sweep.csv": table.getvalue(),
                 out_dir / "sweep.png": plot(rows)}, force=True)
    return rows


def plot(rows):
    """The PNG (bytes) of logic cells and Fmax against n, one line per (target, overflow,
    width, register)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (cells_axis, fmax_axis) = plt.subplots(1, 2, figsize=(11, 4.2))
    series = {}
    for row in rows:
        if row["status"] == "ok":
            width = f"wrap {row['width']}" if row["width"] else "grow"
            key = f"{row['target']}, {width}, register {row['register']}"
            series.setdefault(key, []).append((row["n"], row["logic_cells"], row["fmax_mhz"]))
    for key, values in sorted(series.items()):
        values.sort()
        ns = [v[0] for v in values]
        cells_axis.plot(ns, [v[1] for v in values], marker="o", label=key)
        fmax_axis.plot(ns, [v[2] for v in values], marker="o", label=key)
    for axis, label in ((cells_axis, "logic cells"), (fmax_axis, "Fmax (MHz)")):
        axis.set_xscale("log", base=2)
        axis.set_xlabel("n (points of the FWHT)")
        axis.set_ylabel(label)
        axis.grid(True, alpha=0.3)
    cells_axis.set_yscale("log")
    fmax_axis.legend(fontsize=7)
    figure.suptitle("nomul FWHT: out-of-context synthesis (yosys + nextpnr)")
    figure.tight_layout()
    image = io.BytesIO()
    figure.savefig(image, dpi=110, format="png")
    plt.close(figure)
    return image.getvalue()
