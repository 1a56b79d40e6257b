"""The geometry behind no-multiply nets and LSH, measured on nomul's own designs.

Each experiment in :mod:`science.experiments` builds real nomul designs (sign flips,
Walsh-Hadamard transforms at hardware widths, sign, XNOR-popcount and argmax stages) with
:func:`nomul.design.parse_design`, runs them through nomul's bit-exact golden model
(:func:`nomul.golden.functional.run`), and compares what they compute with the theory of
binarized random projections; one setting of each also runs on the simulated Verilog.
:mod:`science.report` writes ``science.md``, ``science.json`` and the plots;
``python -m science`` runs everything.
"""

from .experiments import EXPERIMENTS, Figure, Result, run_all, spot_check

__all__ = ["EXPERIMENTS", "Figure", "Result", "run_all", "spot_check"]
