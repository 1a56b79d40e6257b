"""The whole board link as a user runs it: `nomul run` against the virtual board (the
board image, bit-level UART included, compiled by Verilator behind a pseudo-terminal)
on a line that corrupts, drops, garbles and truncates bytes, with one board reset."""

import re
from pathlib import Path

import numpy as np
import pytest

from nomul.boards import virtual
from nomul.cli import main
from nomul.sim.patterns import random_vectors
from nomul.design import load_design
from nomul.golden.functional import run

EXAMPLES = Path(__file__).parent.parent / "examples"
VECTORS = 2000


@pytest.fixture(scope="module")
def faulty_board(tmp_path_factory):
    design = load_design(EXAMPLES / "hd_block64.toml")
    work = tmp_path_factory.mktemp("virtual")
    with virtual.start(design, faults=1e-3, seed=3, work=work, progress=None) as board:
        yield design, board


def test_every_vector_comes_back_right_through_a_faulty_line(faulty_board, tmp_path, capsys):
    design, board = faulty_board
    out = tmp_path / "results.npy"
    status = main(["run", str(EXAMPLES / "hd_block64.toml"), "--port", board.port,
                   "--vectors", str(VECTORS), "--seed", "4", "--out", str(out)])
    report = capsys.readouterr().out
    print(report)
    assert status == 0
    assert f"{VECTORS} vectors compared with the golden model, 0 mismatches" in report
    # Nothing lost, duplicated or reordered: the results are the golden model's, in order.
    results = np.load(out)
    assert np.array_equal(results, run(design, random_vectors(design, VECTORS, 4)))
    retransmissions = int(re.search(r"\((\d+) retransmissions\)", report).group(1))
    detected = re.search(r"errors the host detected: (\d+) CRC errors, (\d+) malformed", report)
    board_crc = int(re.search(r"board counters.*?CRC errors (\d+)", report).group(1))
    assert retransmissions > 0 and board_crc > 0 and sum(map(int, detected.groups())) > 0
    assert board.stats.resets == 1 and sum(board.stats.faults["to_board"].values()) > 0
    # The host noticed the reset (it numbered its frames afresh), not only timeouts.
    assert int(re.search(r"(\d+) board resets?\b", report).group(1)) >= 1


def test_a_board_of_another_design_is_refused(faulty_board, capsys):
    design, board = faulty_board
    status = main(["run", str(EXAMPLES / "binary_classifier.toml"), "--port", board.port,
                   "--vectors", "10"])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert status == 1
    assert re.fullmatch(rf"nomul: error: the board on {board.port} runs design hd_block64 "
                        r"\(hash [0-9a-f]{8}\.\.\.\), not binary_classifier \(hash "
                        r"[0-9a-f]{8}\.\.\.\): build and flash this design first", err)
