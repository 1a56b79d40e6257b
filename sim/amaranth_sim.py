"""Runs a design top in Amaranth's simulator and compares it, cycle by cycle, with the
cycle-level golden model (``golden.cycle``): ``i.ready``, ``o.valid`` and every tap's
valid bit on every cycle, and every payload on every cycle where it is valid."""

import time
from dataclasses import dataclass

import numpy as np
from amaranth import ClockDomain, Module, Value
from amaranth.sim import Simulator

from ..golden import cycle
from ..hdl.top import DesignTop
from ..packing import pack, unpack

__all__ = ["Observed", "observe", "compare", "Report", "check", "beat_payloads"]


@dataclass
class Observed:
    """What the hardware showed on each cycle, before the clock edge: ``in_ready``,
    ``out_valid``, ``out_payload`` and, per tap, ``(valid, payload)``; payloads are the
    raw integers of the payload buses (``None`` where a bit was X or Z)."""
    in_ready: np.ndarray
    out_valid: np.ndarray
    out_payload: list
    taps: dict


def observe(design, vectors, in_valid, out_ready, reset=None, vcd_file=None):
    """Simulates ``design`` fed ``vectors`` (the source offers their beats in order, moves
    on after each transfer, and goes back to beat 0 of its vector on a reset) under the
    given per-cycle patterns, and records every cycle."""
    cycles = len(in_valid)
    reset = np.zeros(cycles, bool) if reset is None else np.asarray(reset, bool)
    payloads = beat_payloads(design, vectors)
    beats = design.input.beats
    top = DesignTop(design)
    m = Module()
    m.domains.sync = domain = ClockDomain("sync")
    m.submodules.top = top
    taps = {name: (Value.cast(reg), valid) for name, (reg, valid) in top.taps().items()}
    seen = Observed(np.zeros(cycles, bool), np.zeros(cycles, bool), [0] * cycles,
                    {name: (np.zeros(cycles, bool), [0] * cycles) for name in taps})
    i_payload, o_payload = Value.cast(top.i.payload), Value.cast(top.o.payload)

    async def testbench(ctx):
        k = 0
        for t in range(cycles):
            offer = bool(in_valid[t]) and k < len(payloads)
            ctx.set(domain.rst, bool(reset[t]))
            ctx.set(top.i.valid, offer)
            ctx.set(i_payload, payloads[k] if offer else 0)
            ctx.set(top.o.ready, bool(out_ready[t]))
            seen.in_ready[t] = ready = ctx.get(top.i.ready)
            seen.out_valid[t] = ctx.get(top.o.valid)
            seen.out_payload[t] = ctx.get(o_payload)
            for name, (reg, valid) in taps.items():
                seen.taps[name][0][t] = ctx.get(valid)
                seen.taps[name][1][t] = ctx.get(reg)
            if reset[t]:
                k -= k % beats          # the source restarts the vector it was sending
            elif offer and ready:
                k += 1
            await ctx.tick()

    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(testbench)
    if vcd_file:
        with sim.write_vcd(vcd_file):
            sim.run()
    else:
        sim.run()
    return seen


def beat_payloads(design, vectors):
    """The payload integers of the input beats of ``vectors``, in order."""
    beat = design.input.beat
    rows = np.asarray(vectors, dtype=np.int64).reshape(-1, beat.elements)
    return [pack(row, beat.width) for row in rows]


def _which(index, beats):
    """Names the beat ``index`` of a trace: ``vector k`` or ``beat b of vector k``."""
    vector, beat = divmod(int(index), beats)
    return f"vector {vector}" if beats == 1 else f"beat {beat} of vector {vector}"


def _first_difference(name, vector, cycles, model, valid, payload, beats=1):
    """``(cycle, message)`` for the first cycle where a register's valid bit or, while valid, its
    payload differs from the model (a :class:`golden.cycle.TapTrace`); else ``None``."""
    for t in range(cycles):
        if bool(valid[t]) != bool(model.valid[t]):
            return t, (f"cycle {t}: {name} valid is {int(valid[t])}, the model says "
                       f"{int(model.valid[t])}")
        if model.valid[t] and payload[t] is None:
            return t, (f"cycle {t}: {name} holds X or Z bits, the model says "
                       f"{model.values[model.index[t]].tolist()} ({_which(model.index[t], beats)})")
        if model.valid[t]:
            got = unpack(payload[t], vector.elements, vector.width, vector.signed)
            want = model.values[model.index[t]]
            wrong = np.flatnonzero(got != want)
            if len(wrong):
                j = wrong[0]
                return t, (f"cycle {t}: {name} element {j} is {got[j]}, the model says "
                           f"{want[j]} ({_which(model.index[t], beats)}; {len(wrong)} of "
                           f"{vector.elements} elements differ)")
    return None


def compare(design, trace, seen):
    """The first difference between the model ``trace`` and the hardware ``seen``, as a
    one-line message, or ``None`` when they agree on every cycle."""
    for t in range(trace.cycles):
        if seen.in_ready[t] != trace.in_ready[t]:
            return (f"cycle {t}: i.ready is {int(seen.in_ready[t])}, the model says "
                    f"{int(trace.in_ready[t])}")
    # Registers first, so that of two differences on one cycle the register is named.
    checks = []
    for stage in design.stages:
        for tap in stage.taps:
            name = f"{stage.instance}.{tap.name}"
            checks.append((name, tap.vector, trace.taps[name], *seen.taps[name], tap.beats))
    checks.append(("o", design.output.beat, trace.output, seen.out_valid, seen.out_payload,
                   design.output.beats))
    differences = [_first_difference(name, vector, trace.cycles, model, valid, payload, beats)
                   for name, vector, model, valid, payload, beats in checks]
    found = [d for d in differences if d]
    return min(found, key=lambda d: d[0])[1] if found else None


@dataclass
class Report:
    """The outcome of :func:`check`: ``cycles`` simulated, ``vectors`` the sink took,
    ``registers`` compared on every cycle, the first ``mismatch`` (``None`` if none), the
    ``seconds`` it took and the waveform file kept (``waves``), if any."""
    cycles: int
    vectors: int
    registers: int
    mismatch: str | None
    seconds: float = 0.0
    waves: object = None

    @classmethod
    def of(cls, trace, mismatch, seconds, waves=None):
        """The report of a comparison against the model ``trace``."""
        return cls(trace.cycles, trace.vectors_out, len(trace.taps) + 1, mismatch, seconds,
                   waves)


def check(design, vectors, in_valid, out_ready, reset=None, vcd_file=None):
    """Simulates ``design`` and compares it with the cycle model; returns a :class:`Report`."""
    start = time.perf_counter()
    trace = cycle.simulate(design, vectors, in_valid, out_ready, reset)
    seen = observe(design, vectors, in_valid, out_ready, reset, vcd_file)
    mismatch = compare(design, trace, seen)
    return Report.of(trace, mismatch, time.perf_counter() - start)
