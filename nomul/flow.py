"""The flow control forms of a design (its ``flow`` key), in one place: their names and
manifest descriptions, and the size, latency and floor of the output buffer of the
``credit`` form. The hardware is in ``hdl/top.py`` and ``hdl/flow.py``, the cycle model
in ``golden/cycle.py``."""

import dataclasses

import numpy as np

__all__ = ["FLOWS", "DEFAULT_FLOW", "BUFFER_LATENCY", "RELEASE_DELAY", "BANK_BITS",
           "buffer_depth", "buffer_words", "buffer_banks", "buffer_state_bits"]

# Cycles the output buffer adds: a beat written into it on one cycle is on o two cycles
# later when the buffer was empty (its memory's read data register is the head).
BUFFER_LATENCY = 2

# Cycles after a beat is read from the buffer before its credit is free again: the read
# crosses registers on its way from the output (where the buffer is) to the credit logic
# (at the input), so that this wire across the design has a cycle of its own.
RELEASE_DELAY = 2

FLOWS = {
    "stall": (
        "every registered stage stalls as a whole: its registers load when "
        "o.ready | ~o.valid, and its i.ready is that same signal, so ready crosses the "
        "stage combinationally; a stage with skid = true ends in a skid buffer whose "
        "i.ready comes from a register, which cuts that path"),
    "credit": (
        "the last stage never waits: the stages' registers load on every cycle (valid "
        "bits follow the beats; only stages before a pad wait while it sends its zero "
        "beats) into an output buffer (a FIFO of buffer_depth beats, in block RAM where "
        "the tools can) that o reads; i.ready is the first stage's (high unless a pad "
        "waits) and a credit register, set while the buffer has room for every beat of "
        "the results of the vectors taken in (credits counted in output beats, taken for "
        f"a whole vector at its first input beat, freed {RELEASE_DELAY} cycles after each "
        "beat is read), so it never depends on o.ready in the "
        f"same cycle; the buffer adds {BUFFER_LATENCY} cycles of latency"),
}
DEFAULT_FLOW = "stall"

# A buffer of wide beats is cut into banks of this many bits (8 block RAMs of 36-bit
# words), each with its own copy of the FIFO's addresses and flags, so that no read
# enable has to reach every block RAM of a wide output across the die.
BANK_BITS = 8 * 36


def buffer_depth(design):
    """Output beats the credit form's buffer holds: the fewest with which credits never
    stop ``design`` at full rate (input offered and o.ready high on every cycle).

    Found on the cycle model of the stall form at full rate, where the stages behave as
    in the credit form: a vector's first input beat taken on cycle ``t`` needs room for
    its output beats beside those owed on cycle ``t - 1``: ``beats`` per vector whose
    first beat was taken by then, less the beats whose credits were freed by then (read
    ``BUFFER_LATENCY + RELEASE_DELAY`` cycles after the stall form's). At least 3."""
    from .golden.cycle import simulate        # the cycle model reads this module's names
    stall = dataclasses.replace(design, flow="stall")
    beats_in, beats_out = design.input.beats, design.output.beats
    in_flight = -(-max(stall.latency, 1) // design.interval)
    # Vectors queued before a pad wait longer the more there are; enough to settle.
    count = 4 * in_flight + 2 * len(design.stages) + 8
    cycles = count * design.interval * 2 + 2 * stall.latency + 16
    ones = np.ones(cycles, bool)
    vectors = np.zeros((count, design.n), np.int64)
    trace = simulate(stall, vectors, ones, ones)
    first_beats = (trace.accepted >= 0) & (trace.accepted % beats_in == 0)
    read = np.cumsum(trace.delivered >= 0)
    late = BUFFER_LATENCY + RELEASE_DELAY
    owed = beats_out * np.cumsum(first_beats) - np.concatenate(
        [np.zeros(late, int), read[:-late]])
    starts = np.flatnonzero(first_beats)
    needed = [beats_out + (owed[t - 1] if t else 0) for t in starts]
    return int(max(3, *needed))


def buffer_words(depth):
    """Words of the buffer's memory: the power of two above ``depth`` (so its read and
    write addresses differ whenever it holds beats)."""
    return 1 << depth.bit_length()


def buffer_banks(design):
    """Banks of the buffer's memory: one per :data:`BANK_BITS` bits of an output beat
    in block RAM (36 bits or more), else one."""
    width = design.output.beat.total_width
    return -(-width // BANK_BITS) if width >= 36 else 1


def buffer_state_bits(design):
    """The buffer's flip-flops beside its memory: per bank, its read and write addresses,
    its head's valid bit, ``waiting`` and ``several``; once, ``reserved``, ``credit``, the
    reads on their way to the credits and the input beat position."""
    depth = design.buffer_depth
    address = (buffer_words(depth) - 1).bit_length()
    position = 0 if design.input.beats == 1 else (design.input.beats - 1).bit_length() + 2
    return (buffer_banks(design) * (2 * address + 3) + depth.bit_length() + 1
            + RELEASE_DELAY + position)
