"""Board link figures: for each example, the frame sizes at the default baud rate and the
vectors per second the line allows (what a real board reaches: the design computes a
frame far faster than the line carries it), then the virtual board measured against
that limit.

    python bench/link.py [--vectors N] [--design examples/hd_block64.toml ...]

Line time: 10 bits per byte (8N1). The link is full duplex, so a board's rate is set by
the busier direction; efficiency is payload bits over line bits in that direction.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nomul import protocol                                   # noqa: E402
from nomul.boards.link import DEFAULT_BAUD                   # noqa: E402
from nomul.design import load_design                         # noqa: E402
from nomul.sim.patterns import random_vectors                # noqa: E402


def line_figures(design, baud=DEFAULT_BAUD, seed=1):
    """Frame sizes on the line for full frames of random vectors, the vectors per second
    the line allows and the efficiency of the busier direction."""
    params = protocol.LinkParams.of(design)
    k = params.vectors_per_frame
    vectors = random_vectors(design, k, seed)
    sent = len(protocol.encode(protocol.VECTORS, 0, protocol.pack_vectors(design, vectors)))
    answer = len(protocol.encode(protocol.RESULTS, 0, bytes(k * params.out_bytes), lead=False))
    busier = max(sent, answer)
    payload = k * (params.in_bytes if sent >= answer else params.out_bytes)
    return {"vectors_per_frame": k, "frame_bytes_in": sent, "frame_bytes_out": answer,
            "vectors_per_s": baud / 10 * k / busier, "efficiency": payload * 8 / (busier * 10)}


def virtual_figures(design, vectors, baud=DEFAULT_BAUD):
    """Vectors per second through the virtual board (Verilator, bit-level UART, pty)."""
    from nomul.boards.virtual import start
    from nomul.host import Link
    import serial
    stimulus = random_vectors(design, vectors, 2)
    with start(design, progress=lambda line: None) as board:
        with serial.Serial(board.port, baud, timeout=0.05) as port:
            link = Link(port)
            started = time.perf_counter()
            result = link.run(design, stimulus)
            seconds = time.perf_counter() - started
    return {"vectors_per_s": len(result.results) / seconds, "retransmissions":
            result.retransmissions}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=2000)
    parser.add_argument("--design", nargs="*", type=Path,
                        default=sorted((ROOT / "examples").glob("*.toml")))
    parser.add_argument("--no-virtual", action="store_true")
    args = parser.parse_args()
    print(f"line limits at {DEFAULT_BAUD} baud (8N1)")
    print(f"{'design':26} {'vec/frame':>9} {'bytes in':>8} {'bytes out':>9} "
          f"{'vectors/s':>10} {'efficiency':>10}")
    for path in args.design:
        design = load_design(path)
        f = line_figures(design)
        print(f"{design.name:26} {f['vectors_per_frame']:9} {f['frame_bytes_in']:8} "
              f"{f['frame_bytes_out']:9} {f['vectors_per_s']:10.0f} {f['efficiency']:10.1%}")
    if args.no_virtual:
        return
    print(f"\nvirtual board ({args.vectors} vectors each; Verilator compile not counted)")
    for path in args.design:
        design = load_design(path)
        limit = line_figures(design)["vectors_per_s"]
        v = virtual_figures(design, args.vectors)
        print(f"{design.name:26} {v['vectors_per_s']:10.0f} vectors/s "
              f"({v['vectors_per_s'] / limit:.0%} of the line limit; "
              f"{v['retransmissions']} retransmissions)", flush=True)


if __name__ == "__main__":
    main()
