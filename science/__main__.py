"""``python -m science``: runs every experiment, spot-checks one setting of each on the
simulated Verilog, and writes the report (``report/`` by default)."""

import argparse
import sys
import time

from nomul.files import OutputFileError, check_output_folder
from nomul.tools import ToolMissing

from .experiments import run_all
from .report import verdict, write_report

QUICK = {
    "angle": {"ns": (64, 256, 1024), "elements": 200_000},
    "collision": {"n": 64, "pairs": 500, "curve_pairs": 40},
    "dot_products": {"n": 64, "queries": 512, "database": 16},
    "cross_polytope": {"ns": (64, 256), "pairs": 500, "curve_n": 64, "curve_pairs": 60},
    "wrap": {"n": 256, "width": 10, "vectors": 400, "pairs": 300, "curve_vectors": 40},
    "digits": {"bits": (64, 128, 256), "seeds": 3, "queries": 200},
}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m science",
        description="Reproduce the geometry behind no-multiply nets and LSH (angles, "
                    "collisions, dot products, cross-polytope LSH, wrap widths, nearest "
                    "neighbours) from nomul designs and their bit-exact golden model, and "
                    "write science.md, science.json and PNG plots.",
        epilog="example: python -m science --out report")
    parser.add_argument("--out", default="report", metavar="DIR",
                        help="folder for the report (default: report); created if missing")
    parser.add_argument("--simulator", default="icarus",
                        choices=("icarus", "verilator", "amaranth", "none"),
                        help="where the spot checks run: the generated Verilog under cocotb "
                             "(icarus, verilator), Amaranth's simulator, or none "
                             "(default: icarus)")
    parser.add_argument("--quick", action="store_true",
                        help="small sample sizes (wider tolerances): a smoke run of about "
                             "half a minute")
    parser.add_argument("--force", action="store_true",
                        help="write into a folder that holds files nomul did not put there")
    args = parser.parse_args(argv)
    try:
        check_output_folder(args.out, "--out")      # before any work
    except OutputFileError as error:
        print(f"python -m science: {error}", file=sys.stderr)
        return 2
    start = time.perf_counter()

    def progress(message):
        print(f"science [{time.perf_counter() - start:6.1f} s] {message}", file=sys.stderr,
              flush=True)

    simulator = None if args.simulator == "none" else args.simulator
    skipped = None if simulator else "--simulator none was given"
    if simulator in ("icarus", "verilator"):
        from nomul.sim.cocotb_runner import simulator_environment
        try:
            simulator_environment(simulator)
        except ToolMissing as error:
            progress(f"the spot checks on the Verilog are skipped: {error}")
            simulator, skipped = None, str(error)
    try:
        results = run_all(progress, simulator, QUICK if args.quick else None)
    except RuntimeError as error:      # a missing data set, a simulator that failed
        print(f"python -m science: {error}", file=sys.stderr)
        return 1
    try:
        written = write_report(results, args.out, args.force, skipped)
    except (OutputFileError, OSError) as error:
        print(f"python -m science: {error}", file=sys.stderr)
        return 2
    passed, explained, unexplained = verdict(results)
    progress(f"wrote {len(written)} files to {args.out}/: {passed} figures within tolerance, "
             f"{explained} explained deviations, {unexplained} unexplained")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
