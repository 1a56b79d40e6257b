"""The stage kinds of a design, one module each, found by ``kind`` in :data:`STAGES`.

Each kind is a frozen dataclass (:class:`~nomul.stages.base.Stage`) holding its
resolved parameters; it parses its own TOML table and derives its output type, taps,
latency, interval and floor. Adding a kind touches its module here, its hardware in
``hdl/``, its golden function in ``golden/functional.py``, its independent definition in
``tests/reference.py``, its tests and its documentation.
"""

from .argmax import Argmax
from .base import (MAX_INPUT_WIDTH, MAX_N, MAX_SIGNAL_BITS, MAX_WIDTH, DesignError, Keys,
                   Stage, Tap, Vector, index_width, tree_levels)
from .elementwise import Pad, Shift, Sign
from .fwht import FWHT
from .signflip import SignFlip
from .xnor_popcount import XnorPopcount

__all__ = ["STAGES", "Stage", "Vector", "Tap", "Keys", "DesignError", "SignFlip", "FWHT",
           "Sign", "Pad", "Shift", "XnorPopcount", "Argmax", "tree_levels", "index_width",
           "MAX_N", "MAX_INPUT_WIDTH", "MAX_WIDTH", "MAX_SIGNAL_BITS"]

STAGES = {kind.kind: kind for kind in (SignFlip, FWHT, Sign, Pad, Shift, XnorPopcount, Argmax)}
