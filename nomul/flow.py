"""The flow control forms of a design (its ``flow`` key), in one place: their names and
manifest descriptions, and the size and latency of the output buffer of the ``credit``
form. The hardware is in ``hdl/top.py`` and ``hdl/flow.py``, the cycle model in
``golden/cycle.py``."""

import math

__all__ = ["FLOWS", "DEFAULT_FLOW", "BUFFER_LATENCY", "buffer_depth"]

FLOWS = {
    "stall": (
        "every registered stage stalls as a whole: its registers load when "
        "o.ready | ~o.valid, and its i.ready is that same signal, so ready crosses the "
        "stage combinationally; a stage with skid = true ends in a skid buffer whose "
        "i.ready comes from a register, which cuts that path"),
    "credit": (
        "the stages never stall: their registers load on every cycle (valid bits follow "
        "the beats) into an output buffer (a FIFO of buffer_depth beats, in block RAM "
        "where the tools can) that o reads; i.ready is a register, high while the buffer "
        "has room for every beat of the results of the vectors taken in (credits counted "
        "in output beats, taken for a whole vector at its first input beat); "
        "the buffer adds 2 cycles of latency"),
}
DEFAULT_FLOW = "stall"

# Cycles the output buffer (Amaranth's SyncFIFOBuffered) adds: a beat written into it
# on one cycle is on o two cycles later when the buffer was empty.
BUFFER_LATENCY = 2


def buffer_depth(latency, interval, output_beats):
    """Beats the credit form's output buffer holds so that, with o.ready high, credits
    never stop a design of ``latency`` cycles (buffer included) taking one vector every
    ``interval`` cycles: the output beats of every vector whose result has not all left,
    ``ceil(latency / interval) + 1`` vectors; at least 3 (the FIFO then takes a beat on
    every cycle whatever it holds)."""
    return max(3, output_beats * (math.ceil(latency / interval) + 1))
