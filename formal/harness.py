"""The proof harness: the design under test, free inputs, one followed vector, and the
properties, as one SystemVerilog module (``nomul_proof``) for SymbiYosys.

The environment is unconstrained: ``rst``, ``i.valid``, ``i.payload`` and ``o.ready``
take any value on every cycle (reset is only assumed on the first one). The harness
counts the beats accepted and delivered and follows one vector, number ``watched`` (any
value, chosen by the solver), keeping its beats as they come in. Walking the design's
units from the input (:meth:`nomul.stages.Stage.units`), it knows how many beats have
passed each point: the beats accepted minus those held before it. A register holding a
beat therefore holds beat number (passed - 1): its vector and its place in the vector
follow. Properties (named as in the failure reports):

- ``count``: the beats accepted minus those held by every register and unit are the
  beats delivered (nothing lost or duplicated);
- ``tap_<instance>_<register>``: a valid register holding a beat of the followed vector
  holds the specification's value (:mod:`nomul.formal.spec`) of that beat there; the
  same for each word of a delay-feedback level's delay line and a fold's partial result;
- ``output_value``: an output beat of the followed vector (offered out of reset) is its
  specification;
- ``output_held``: a valid output that was not taken stays valid and unchanged (unless
  reset; not for designs without registers, whose output is their input);
- ``state_<instance>_<counter>``: the beat counters, flags and pending counts of the
  streaming units agree with the beats that passed them (what makes the properties
  above inductive);
- ``ready``, ``latency`` and ``drained`` (only with ``TIMING`` defined): when
  ``o.ready`` has been high and ``rst`` low for ``2 * latency + interval`` cycles
  (:func:`timing_window`), ``i.ready`` is high on at least as many of the last
  ``interval`` cycles as a vector has input beats (so the properties above are not met
  by a design that takes nothing in); the vector whose beats were accepted on
  consecutive cycles from ``latency`` cycles ago has its first output beat on the
  output; and when nothing more was accepted in that window after whole vectors, all of
  their output beats have been delivered (nothing is kept back, such as a difference a
  delay-feedback level never sends).

Because ``watched`` is free, a proof covers every vector. A design without registers
whose vectors are one beat is checked combinationally (``flow`` and ``output_value``).

The harness reads registers by the names nomul's hardware gives them: the taps of the
manifest, and in streaming forms ``beat_index`` (a stage's input beat counter),
``<rom>_word`` (a beat ROM's word), ``level<k>_{beat,pending,kept,block_start,
delay_<age>}`` (a delay-feedback level) and ``<partial>_{beat,first,last}`` (a fold).
"""

from dataclasses import dataclass

from ..stages.base import DelayFeedback, Fold, PadBeats, Register, Skid, counter_bits
from .spec import Netlist, design_spec, pack, unpack

__all__ = ["Probe", "Harness", "harness", "timing_window", "HARNESS_TOP"]

HARNESS_TOP = "nomul_proof"


@dataclass(frozen=True)
class Probe:
    """A register of the design that the harness reads: its Verilog name after
    flattening (``<instance>.<signal>``) and width; yosys makes it a port."""
    name: str
    width: int

    @property
    def wire(self):
        """Its wire in the harness."""
        return self.name.replace(".", "_")


@dataclass
class Harness:
    """The harness's SystemVerilog ``text``, the registers it reads (``probes``) and the
    wires worth showing in a counterexample (``waves``: ``(wire, width)``)."""
    text: str
    probes: list
    waves: list


def _log2(count):
    return count.bit_length() - 1


def _select(index, options, first=0):
    """The expression choosing ``options[k]`` when ``index`` is ``first + k``."""
    expression = options[-1]
    for k in reversed(range(len(options) - 1)):
        expression = f"(({index} == {first + k}) ? {options[k]} : {expression})"
    return expression


def _beats(elements, lanes):
    """The packed beats of a vector given element by element."""
    return [pack(elements[b:b + lanes]) for b in range(0, len(elements), lanes)]


def _beat_of(wire, width, log_beats):
    """``(vector number, beat in the vector)`` expressions of the beat number in
    ``wire`` (``width`` bits, ``2**log_beats`` beats per vector)."""
    vector = f"{wire}[{width - 1}:{log_beats}]"
    beat = f"{wire}[{log_beats - 1}:0]" if log_beats else "0"
    return vector, beat


def timing_window(design):
    """Cycles of full rate (``o.ready`` high, no reset) after which the timing
    properties apply: twice the latency and the interval."""
    return 2 * design.latency + design.interval


def _capacity(design):
    """Beats the design can hold at most (for the width of the counters)."""
    total = 0
    for stage in design.stages:
        for unit in stage.units():
            if isinstance(unit, Register):
                total += 1
            elif isinstance(unit, Skid):
                total += 2
            elif isinstance(unit, DelayFeedback):
                total += unit.span + 1
            elif isinstance(unit, Fold):
                total += unit.beats
    return total


class _Builder:
    """Writes the harness: ``decl`` (declarations and logic), ``state`` (properties of
    both tasks), ``values`` (properties of the values task)."""

    def __init__(self, spec_net, taps):
        self.net, self.taps = spec_net, taps
        self.decl, self.state, self.values = [], [], []
        self.probes, self.waves = [], []
        self._points = 0

    def probe(self, name, width):
        """The harness wire of the design's register ``name``."""
        p = Probe(name, width)
        self.probes.append(p)
        self.decl.append(f"  wire [{width - 1}:0] {p.wire};")
        self.waves.append((p.wire, width))
        return p.wire

    def point(self, width, expression):
        """A wire holding the beats passed at the next point of the walk."""
        name = f"passed{self._points}"
        self._points += 1
        self.decl.append(f"  wire [{width - 1}:0] {name} = {expression};")
        return name

    # -- the units ------------------------------------------------------------------------

    def register(self, stage, tap, passed, width, log_beats):
        """A register: it holds beat ``passed - 1`` when valid."""
        value = self.probe(f"{stage.instance}.{tap.name}", tap.vector.total_width)
        valid = self.probe(f"{stage.instance}.{tap.valid_name}", 1)
        carries = f"{value}_carries"
        self.decl.append(f"  wire [{width - 1}:0] {carries} = {passed} - 1;")
        vector, beat = _beat_of(carries, width, log_beats)
        spec = _beats(self.taps[f"{stage.instance}.{tap.name}"], tap.vector.elements)
        self.decl.append(f"  wire [{tap.vector.total_width - 1}:0] {value}_spec = "
                         f"{_select(beat, spec)};")
        self.waves.append((f"{value}_spec", tap.vector.total_width))
        self.values.append(f"    if ({valid} && {vector} == watched) tap_{value}: "
                           f"assert ({value} == {value}_spec);")
        return self.point(width, f"{passed} - {valid}"), carries

    def delay_feedback(self, stage, unit, passed, width, log_beats):
        """A delay-feedback level (see :class:`nomul.stages.base.DelayFeedback`) with
        ``pos`` the place of the next beat in its block of ``2 * span``: before the
        middle, the newest ``pos`` words of the delay line are the block's first beats
        and the oldest ``pending`` the differences of the block before; after it, the
        newest ``pos - span`` are this block's differences and the others its unpaired
        first beats. Returns the point after its register."""
        inst, name, span = stage.instance, unit.tap.name, unit.span
        level = stage.lane_levels + _log2(span)
        lanes, w = stage.input.lanes, stage.level_width(level)
        prefix = f"{inst}.{name}"
        beat = self.probe(f"{prefix}_beat", counter_bits(unit.beats))
        pending = self.probe(f"{prefix}_pending", span.bit_length())
        block_start = self.probe(f"{prefix}_block_start", 1)
        kept = self.probe(f"{prefix}_kept", 1)
        pos = f"{beat}[{_log2(2 * span) - 1}:0]"
        self.state += [
            f"    state_{beat}: assert ({beat} == {passed}[{log_beats - 1}:0]);",
            f"    state_{block_start}: assert ({block_start} == ({pos} == 0));",
            f"    state_{kept}: assert ({kept} == ({pending} != 0));",
            f"    state_{pending}: assert ({pos} < {span} ? {pos} + {pending} <= {span}"
            f" : {pending} == {pos} - {span});"]
        held = f"({pos} < {span} ? {pos} : {2 * span} - {pos}) + {pending}"
        source = self.taps[f"{inst}.level{level - 1}" if level else f"{inst}.input"]
        raw = _beats([self.net.wire(w, True, e.name) for e in source], lanes)
        diff = _beats(self.taps[prefix], lanes)
        for age in range(span):
            word = self.probe(f"{prefix}_delay_{age}", lanes * w)
            first = f"({pos} < {span})"
            is_raw = f"({first} ? {age} < {pos} : {age} >= {pos} - {span})"
            is_diff = f"({first} ? {age} >= {span} - {pending} : {age} < {pos} - {span})"
            holds = f"{word}_carries"
            # Before the middle, the differences sit behind the unused words.
            self.decl.append(
                f"  wire [{width - 1}:0] {holds} = {passed} - 1 - {age} + "
                f"(({first} && !{is_raw}) ? {span} - {pos} - {pending} : 0);")
            vector, index = _beat_of(holds, width, log_beats)
            self.decl.append(f"  wire [{lanes * w - 1}:0] {word}_spec = {is_raw} ? "
                             f"{_select(index, raw)} : {_select(index, diff)};")
            self.values.append(f"    if (({is_raw} || {is_diff}) && {vector} == watched) "
                               f"tap_{word}: assert ({word} == {word}_spec);")
        passed = self.point(width, f"{passed} - ({held})")
        return self.register(stage, unit.tap, passed, width, log_beats)[0]

    def fold(self, stage, unit, passed, width, log_beats):
        """A fold: ``count`` beats of the current vector are in its partial register;
        returns the point after its result register (counted in vectors)."""
        inst, partial = stage.instance, unit.partial
        prefix = f"{inst}.{partial.name}"
        count = self.probe(f"{prefix}_beat", counter_bits(unit.beats))
        first = self.probe(f"{prefix}_first", 1)
        last = self.probe(f"{prefix}_last", 1)
        value = self.probe(prefix, partial.vector.total_width)
        valid = self.probe(f"{prefix}_valid", 1)
        self.state += [
            f"    state_{count}: assert ({count} == {passed}[{log_beats - 1}:0]);",
            f"    state_{first}: assert ({first} == ({count} == 0));",
            f"    state_{last}: assert ({last} == ({count} == {unit.beats - 1}));",
            f"    state_{valid}: assert ({valid} == ({count} != 0));"]
        self.decl.append(f"  wire [{width - 1}:0] {value}_carries = {passed} - 1;")
        vector, _ = _beat_of(f"{value}_carries", width, log_beats)
        spec = [pack(self.taps[f"{prefix}[{c}]"]) for c in range(1, unit.beats)]
        self.decl.append(f"  wire [{partial.vector.total_width - 1}:0] {value}_spec = "
                         f"{_select(count, spec, first=1)};")
        self.values.append(f"    if ({valid} && {vector} == watched) tap_{value}: "
                           f"assert ({value} == {value}_spec);")
        whole = self.point(width, f"{passed} - {count}")
        vectors = self.point(width - log_beats, f"{whole}[{width - 1}:{log_beats}]")
        return self.register(stage, unit.result, vectors, width - log_beats, 0)[0]

    def pad_beats(self, stage, unit, passed, width, log_in, log_out):
        """Streaming padding: its counter of output beats runs past the input's beats
        while it sends zero beats."""
        index = self.probe(f"{stage.instance}.beat_index", counter_bits(unit.beats_out))
        self.state.append(
            f"    state_{index}: assert ({index} < {unit.beats_in} ? "
            f"{index} == {passed}[{log_in - 1}:0] : {passed}[{log_in - 1}:0] == 0);")
        out = width - log_in + log_out
        return self.point(out, f"{{{passed}[{width - 1}:{log_in}], {log_out}'d0}} + {index} - "
                               f"({index} >= {unit.beats_in} ? {unit.beats_out} : 0)")

    def stage_counters(self, stage, passed, log_beats, registers):
        """The beat counter at the input of a streaming sign flip, folded XNOR-popcount or
        folded argmax (``beat_index``) and the word of the beat ROM the first two read
        (``signs_word``, ``weights_word``) as a beat enters their register ``beat``."""
        inst = stage.instance
        index = self.probe(f"{inst}.beat_index", counter_bits(stage.input.beats))
        self.state.append(f"    state_{index}: assert "
                          f"({index} == {passed}[{log_beats - 1}:0]);")
        if stage.beat_rom() is None:     # folded argmax: a counter, no ROM
            return
        rom_name, bits, words = stage.beat_rom()
        rom = self.probe(f"{inst}.{rom_name}_word", bits)
        beat = f"{registers[f'{inst}.beat']}[{log_beats - 1}:0]"
        expected = _select(beat, [f"{bits}'d{word}" for word in words])
        self.values.append(f"    if ({inst}_beat_valid) rom_{inst}: "
                           f"assert ({rom} == {expected});")


def harness(design, top):
    """The :class:`Harness` around the module ``top`` (the design with the registers of
    the harness's ``probes`` brought out as ports of the same names)."""
    iw, ow = design.input.beat.total_width, design.output.beat.total_width
    lines = [f"// Proof harness for design {design.name} (design hash {design.digest}),",
             "// generated by nomul; see nomul/formal/harness.py for what it proves.",
             f"module {HARNESS_TOP}(input clk);"]
    add = lines.append
    add("  (* anyseq *) reg rst, i_valid, o_ready;")
    add(f"  (* anyseq *) reg [{iw - 1}:0] i_payload;")
    add(f"  wire i_ready, o_valid;\n  wire [{ow - 1}:0] o_payload;")
    ports = [".clk(clk)", ".rst(rst)", ".i__valid(i_valid)", ".i__ready(i_ready)",
             ".i__payload(i_payload)", ".o__valid(o_valid)", ".o__ready(o_ready)",
             ".o__payload(o_payload)"]
    waves = [("i_payload", iw), ("o_payload", ow)]
    capacity = _capacity(design)

    if capacity == 0 and design.input.beats == design.output.beats == 1:
        net = Netlist("s_")
        out, _ = design_spec(net, design, unpack(net, "i_payload", design.input))
        lines += net.lines
        add(f"  {top} dut(\n    " + ",\n    ".join(ports) + ");")
        add("  always @* begin")
        add("    flow: assert (o_valid == i_valid && i_ready == o_ready);")
        add(f"    if (o_valid) output_value: assert (o_payload == {pack(out)});")
        add("  end")
        add("endmodule")
        return Harness("\n".join(lines) + "\n", [], waves)

    # Vector numbers are counted mod 2**cw, enough to tell apart every vector in flight.
    cw = max(1, (2 * capacity + 2).bit_length())
    log_in, log_out = _log2(design.input.beats), _log2(design.output.beats)
    in_width = cw + log_in
    net = Netlist("s")
    # Without registers anywhere, the beat offered at the input is the one offered at the
    # output, in the same cycle: the specification then reads it from the input.
    source = "watched_now" if design.latency == 0 else "watched_payload"
    out, taps = design_spec(net, design, unpack(net, source, design.input))
    b = _Builder(net, taps)

    # One vector, chosen freely (any number ``watched`` mod 2**cw), is followed: its
    # beats are kept as they come in, and every register that carries one of them must
    # hold the specification's value of it. Proven for any choice, this covers every
    # vector.
    passed, width, log_beats = "accepted_count", in_width, log_in
    registers = {}
    for stage in design.stages:
        start = passed
        for unit in stage.units():
            if isinstance(unit, Register):
                passed, registers[f"{stage.instance}.{unit.tap.name}"] = b.register(
                    stage, unit.tap, passed, width, log_beats)
            elif isinstance(unit, Skid):
                passed, _ = b.register(stage, unit.spare, passed, width, log_beats)
                passed, _ = b.register(stage, unit.main, passed, width, log_beats)
            elif isinstance(unit, DelayFeedback):
                passed = b.delay_feedback(stage, unit, passed, width, log_beats)
            elif isinstance(unit, Fold):
                passed = b.fold(stage, unit, passed, width, log_beats)
                width, log_beats = width - log_beats, 0
            elif isinstance(unit, PadBeats):
                log_to = _log2(unit.beats_out)
                passed = b.pad_beats(stage, unit, passed, width, log_beats, log_to)
                width, log_beats = width - log_beats + log_to, log_to
        if stage.kind in ("signflip", "xnor_popcount", "argmax") and stage.input.beats > 1:
            b.stage_counters(stage, start, _log2(stage.input.beats), registers)
    out_width = width
    assert log_beats == log_out

    add(f"  (* anyconst *) reg [{cw - 1}:0] watched;")
    add(f"  reg [{design.input.total_width - 1}:0] watched_payload;")
    add(f"  reg [{in_width - 1}:0] accepted_count = 0;")
    add(f"  reg [{out_width - 1}:0] delivered_count = 0;")
    add("  wire accept = i_valid && i_ready && !rst;")
    add("  wire deliver = o_valid && o_ready && !rst;")
    vector_in, beat_in = _beat_of("accepted_count", in_width, log_in)
    vector_out, beat_out = _beat_of("delivered_count", out_width, log_out)
    if source == "watched_now":
        now = [f"(i_valid && {vector_in} == watched && {beat_in} == {k}) ? i_payload : "
               f"watched_payload[{(k + 1) * iw - 1}:{k * iw}]"
               for k in reversed(range(design.input.beats))]
        add(f"  wire [{design.input.total_width - 1}:0] watched_now = "
            f"{{{', '.join(f'({v})' for v in now)}}};")
    lines += net.lines
    lines += b.decl
    for p in b.probes:
        ports.append(f".\\{p.name} ({p.wire})")
    add(f"  {top} dut(\n    " + ",\n    ".join(ports) + ");")
    add("  reg init = 1;\n  always @(posedge clk) init <= 0;")
    add("  always @* if (init) assume(rst);")
    add("  always @(posedge clk) begin")
    for k in range(design.input.beats):
        add(f"    if (accept && {vector_in} == watched && {beat_in} == {k}) "
            f"watched_payload[{(k + 1) * iw - 1}:{k * iw}] <= i_payload;")
    add("    if (rst) begin")
    add("      accepted_count <= 0;\n      delivered_count <= 0;")
    add("    end else begin")
    add("      accepted_count <= accepted_count + accept;")
    add("      delivered_count <= delivered_count + deliver;")
    add("    end")
    add("  end")
    add(f"  wire [{ow - 1}:0] output_spec = "
        f"{_select(beat_out, _beats(out, design.output.lanes))};")
    waves += [("accepted_count", in_width), ("delivered_count", out_width), ("watched", cw),
              ("watched_payload", design.input.total_width), ("output_spec", ow)]

    # Output held while it waits.
    add("  reg was_waiting = 0;")
    add(f"  reg [{ow - 1}:0] was_payload;")
    add("  always @(posedge clk) begin")
    add("    was_waiting <= o_valid && !o_ready && !rst;")
    add("    was_payload <= o_payload;")
    add("  end")

    # Full rate: o.ready high and rst low for a window of 2 * latency + interval cycles;
    # the history of the input's ready, of what it accepted (and which were first beats
    # of vectors), and of the cycles it accepted nothing.
    latency, interval, beats = design.latency, design.interval, design.input.beats
    window = timing_window(design)
    histories = [("flowing", window, "o_ready && !rst"), ("quiet", window, "!accept"),
                 ("readied", interval - 1, "i_ready"), ("accepted", latency, "accept"),
                 ("accepted_first", latency, f"accept && {beat_in} == 0")]
    histories = [(name, length, now) for name, length, now in histories if length]
    for name, length, _ in histories:
        add(f"  reg [{length}:1] {name} = 0;")
    add("  always @(posedge clk) begin")
    for name, length, now in histories:
        add(f"    {name} <= {{{name}, {now}}};" if length > 1 else f"    {name} <= {now};")
    add("  end")
    readies = " + ".join(["i_ready"] + [f"readied[{j}]" for j in range(1, interval)])
    if latency:
        # The vector whose first beat went in latency cycles ago, its beats on
        # consecutive cycles (as many as have gone in since).
        newer = " + ".join(f"accepted[{j}]" for j in range(1, latency)) or "0"
        add(f"  wire [{in_width - 1}:0] first_then = accepted_count - 1 - ({newer});")
        first_vector, _ = _beat_of("first_then", in_width, log_in)
        started = " && ".join([f"accepted_first[{latency}]"] + [
            f"accepted[{j}]" for j in range(latency - 1, max(0, latency - beats), -1)])
    else:
        first_vector, started = vector_in, f"accept && {beat_in} == 0"
    whole = f"{vector_in}, {log_out}'d0" if log_out else vector_in
    whole = f"{{{whole}}}"

    add("  always @* begin")
    add(f"    count: assert ({passed} == delivered_count);")
    lines += b.state
    add("`ifndef TIMING")
    lines += b.values
    add(f"    if (o_valid && !rst && {vector_out} == watched) output_value: "
        "assert (o_payload == output_spec);")
    if design.latency:
        # (Without registers the output is the input: holding it is the source's duty.)
        add("    if (was_waiting) output_held: assert (o_valid && o_payload == was_payload);")
    add("`else")
    add(f"    if (&flowing && o_ready) ready: assert ({readies} >= {beats});")
    add(f"    if (&flowing && {started}) latency: "
        f"assert (o_valid && {vector_out} == {first_vector} && {beat_out} == 0);")
    in_beat_zero = f" && {beat_in} == 0" if log_in else ""
    add(f"    if (&flowing && &quiet{in_beat_zero}) drained: "
        f"assert (delivered_count == {whole});")
    add("`endif")
    add("  end")
    add("endmodule")
    return Harness("\n".join(lines) + "\n", b.probes, waves + b.waves)
