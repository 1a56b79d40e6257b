"""The design top: the stages of a design chained by their streams."""

from amaranth import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .argmax import Argmax, FoldedArgmax
from .elementwise import Pad, Shift, Sign, StreamingPad
from .flow import CreditBuffer
from .fwht import FWHT, StreamingFWHT
from .pipeline import layout
from .signflip import SignFlip, StreamingSignFlip
from .xnor_popcount import FoldedXnorPopcount, XnorPopcount

__all__ = ["DesignTop", "STAGE_COMPONENTS", "top_signature"]

# The hardware of every stage kind (nomul.stages.STAGES) in each of its forms, found by
# (kind, form); sign and shift work lane by lane, so one component serves both forms.
STAGE_COMPONENTS = {
    ("signflip", "parallel"): SignFlip, ("signflip", "streaming"): StreamingSignFlip,
    ("fwht", "parallel"): FWHT, ("fwht", "streaming"): StreamingFWHT,
    ("sign", "parallel"): Sign, ("sign", "streaming"): Sign,
    ("pad", "parallel"): Pad, ("pad", "streaming"): StreamingPad,
    ("shift", "parallel"): Shift, ("shift", "streaming"): Shift,
    ("xnor_popcount", "parallel"): XnorPopcount,
    ("xnor_popcount", "streaming"): FoldedXnorPopcount,
    ("argmax", "parallel"): Argmax, ("argmax", "streaming"): FoldedArgmax,
}


def top_signature(design):
    """The ports of the design top of ``design``: its input and output streams."""
    return wiring.Signature({
        "i": In(stream.Signature(layout(design.input))),
        "o": Out(stream.Signature(layout(design.output))),
    })


class DesignTop(wiring.Component):
    """All stages of ``design`` (a :class:`nomul.design.Design`), input to output.

    Members
    -------
    i : ``In(stream.Signature(...))``, the design's input vectors.
    o : ``Out(stream.Signature(...))``, the last stage's output vectors.
    blocks : the stage components, in order; stage ``k`` is the submodule named
        ``stage.instance`` (``s<k>_<kind>``), its registers are in ``block.taps``.

    Latency ``design.latency`` cycles; one vector every ``design.interval`` cycles (one
    beat per cycle in the streaming forms) while ``o.ready`` is high;
    full backpressure; reset empties the pipeline. In the ``stall`` flow form the last
    stage's output is ``o``; in the ``credit`` form it goes into a
    :class:`~nomul.hdl.flow.CreditBuffer` (submodule ``output_buffer``) whose output is
    ``o`` and whose ``credit`` gates the first stage's input.
    """

    def __init__(self, design):
        self.design = design
        self.blocks = [STAGE_COMPONENTS[stage.kind, stage.form](stage)
                       for stage in design.stages]
        super().__init__(top_signature(design))

    def taps(self):
        """``{"<instance>.<tap>": (payload register, valid bit)}`` of every stage."""
        return {f"{block.stage.instance}.{name}": signals
                for block in self.blocks for name, signals in block.taps.items()}

    def elaborate(self, platform):
        m = Module()
        upstream = wiring.flipped(self.i)
        if self.design.buffered:
            m.submodules.output_buffer = buffer = CreditBuffer(self.design)
            # The input as the first stage sees it: offered only while credit is set.
            gated = stream.Signature(layout(self.design.input)).create()
            m.d.comb += [
                gated.valid.eq(self.i.valid & buffer.credit),
                gated.payload.eq(self.i.payload),
                self.i.ready.eq(gated.ready & buffer.credit),
                buffer.taken.eq(self.i.valid & self.i.ready),
            ]
            upstream = gated
        for block in self.blocks:
            m.submodules[block.stage.instance] = block
            wiring.connect(m, upstream, block.i)
            upstream = block.o
        if self.design.buffered:
            wiring.connect(m, upstream, buffer.i)
            upstream = buffer.o
        wiring.connect(m, upstream, wiring.flipped(self.o))
        if not any(stage.units() for stage in self.design.stages):
            # Wiring only: a register that nothing reads keeps the clock and reset ports
            # that the manifest lists (Amaranth leaves out an unused clock domain).
            clocked = Signal(name="clocked")
            m.d.sync += clocked.eq(1)
        return m
