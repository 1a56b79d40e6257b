import re
from pathlib import Path

import pytest

from nomul.design import DesignError, load_design, parse_design
from nomul.flow import BUFFER_LATENCY
from nomul.seeded import seeded_signs

EXAMPLES = sorted(Path(__file__).parent.parent.glob("examples/*.toml"))


def table(*stages, **top):
    return {"name": "t", "n": 16, "input_width": 8, **top, "stage": list(stages)}


def error(message, *stages, **top):
    with pytest.raises(DesignError, match="^" + re.escape(message) + "$"):
        parse_design(table(*stages, **top), source="d.toml")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_load(path):
    design = load_design(path)
    assert design.name == path.stem
    buffer = {"stall": 0, "credit": BUFFER_LATENCY}[design.flow]
    assert design.latency == sum(stage.latency for stage in design.stages) + buffer


def test_hd_block_resolves_widths_and_latency():
    design = load_design(Path(__file__).parent.parent / "examples/hd_block64.toml")
    flip, fwht, sign = design.stages
    assert flip.signs == tuple(seeded_signs(7, 64).tolist())
    assert (flip.output.width, fwht.output.width) == (8, 14)
    assert [tap.name for tap in fwht.taps] == [f"level{s}" for s in range(6)]
    assert sign.output.kind == "bits" and design.latency == 1 + 6 + 0


@pytest.mark.parametrize("n, register, latency", [(2, 1, 1), (16, 1, 4), (16, 2, 2),
                                                  (16, 3, 2), (16, 4, 1), (256, 3, 3)])
def test_fwht_register_spacing(n, register, latency):
    design = parse_design(table({"kind": "fwht", "register": register}, n=n))
    fwht = design.stages[0]
    assert fwht.latency == latency
    levels = [int(tap.name[5:]) for tap in fwht.taps]
    assert levels[-1] == fwht.levels - 1
    assert all(b - a <= register for a, b in zip([-1] + levels, levels))


def test_widths_of_each_stage():
    design = parse_design(table(
        {"kind": "signflip", "seed": 1, "overflow": "grow"},
        {"kind": "fwht", "overflow": "grow"},
        {"kind": "shift", "bits": 3},
        {"kind": "pad", "n": 64},
        {"kind": "fwht", "width": 20},
        {"kind": "sign"}))
    assert [s.output.width for s in design.stages] == [9, 13, 10, 10, 20, 1]
    assert [s.output.elements for s in design.stages] == [16, 16, 16, 64, 64, 64]


def test_explicit_signs():
    signs = [1, -1] * 8
    assert parse_design(table({"kind": "signflip", "signs": signs})).stages[0].signs == tuple(signs)


def test_digest_depends_on_resolved_parameters():
    a = parse_design(table({"kind": "fwht"}))
    b = parse_design(table({"kind": "fwht", "overflow": "wrap", "width": 8, "register": 1}))
    c = parse_design(table({"kind": "fwht", "width": 9}))
    assert a.digest == b.digest != c.digest


def test_design_is_immutable():
    design = parse_design(table({"kind": "sign"}))
    with pytest.raises(AttributeError):
        design.n = 32


# --- errors: one line naming the key, the value and what is allowed --------------------

def test_top_level_errors():
    error('d.toml: n = 12: must be a power of two from 2 to 4096', {"kind": "sign"}, n=12)
    error('d.toml: n = 8192: must be a power of two from 2 to 4096', {"kind": "sign"}, n=8192)
    error('d.toml: n = "16": must be a power of two from 2 to 4096', {"kind": "sign"}, n="16")
    error('d.toml: input_width = 33: must be an integer from 2 to 32', {"kind": "sign"},
          input_width=33)
    error('d.toml: input_width = true: must be an integer from 2 to 32', {"kind": "sign"},
          input_width=True)
    error('d.toml: name = "HD": must match [a-z][a-z0-9_]* and have at most 64 characters '
          '(it names the Verilog top)',
          {"kind": "sign"}, name="HD")
    error("d.toml: unknown key 'widht'; allowed keys: name, n, input_width, parallelism, "
          "flow, stage",
          {"kind": "sign"}, widht=3)
    error('d.toml: parallelism = 3: must be a power of two from 1 to n = 16: the elements '
          'of a vector that cross the input port per beat', {"kind": "sign"}, parallelism=3)
    with pytest.raises(DesignError, match=r"^d\.toml: missing key 'n': must be a power of two from 2 to 4096$"):
        parse_design({"name": "t", "input_width": 8, "stage": [{"kind": "sign"}]}, "d.toml")
    error("d.toml: 'stage' must be a non-empty array of tables, written [[stage]]")


def test_stage_errors():
    error('d.toml: stage 1: kind = "fft": must be one of "signflip", "fwht", "sign", "pad", "shift", "xnor_popcount", "argmax"',
          {"kind": "fft"})
    error('d.toml: stage 1: missing key \'kind\': must be one of "signflip", "fwht", "sign", "pad", "shift", "xnor_popcount", "argmax"',
          {"seed": 1})
    error("d.toml: stage 1 (fwht): unknown key 'widht'; allowed keys: kind, overflow, width, "
          "register, skid",
          {"kind": "fwht", "widht": 12})
    error("d.toml: stage 1 (fwht): register = 5: must be an integer from 1 to 4 (the levels "
          "of the butterfly over 16 elements): a pipeline register after every that many levels",
          {"kind": "fwht", "register": 5})
    error('d.toml: stage 1 (fwht): overflow = "saturate": must be one of "wrap", "grow"',
          {"kind": "fwht", "overflow": "saturate"})
    error('d.toml: stage 1 (fwht): width = 12: width applies only to overflow = "wrap"; '
          'with "grow" each level adds one bit', {"kind": "fwht", "overflow": "grow", "width": 12})
    error("d.toml: stage 1 (fwht): width = 63: must be an integer from 2 to 62",
          {"kind": "fwht", "width": 63})
    error("d.toml: stage 1 (signflip): needs exactly one of 'seed' (an integer from 0 to "
          "2**64-1) and 'signs' (a list of 16 entries, each 1 or -1)", {"kind": "signflip"})
    error("d.toml: stage 1 (signflip): needs exactly one of 'seed' (an integer from 0 to "
          "2**64-1) and 'signs' (a list of 16 entries, each 1 or -1)",
          {"kind": "signflip", "seed": 1, "signs": [1] * 16})
    error("d.toml: stage 1 (signflip): seed = -3: must be an integer from 0 to 2**64-1",
          {"kind": "signflip", "seed": -3})
    error("d.toml: stage 1 (signflip): signs has 15 entries: it must be a list of exactly 16 "
          "entries (one per element), each 1 or -1", {"kind": "signflip", "signs": [1] * 15})
    error("d.toml: stage 1 (signflip): signs[2] = 0: each sign must be 1 or -1",
          {"kind": "signflip", "signs": [1, 1, 0] + [1] * 13})
    error("d.toml: stage 2 (fwht): needs a vector of signed integers, but its input is 16 bits",
          {"kind": "sign"}, {"kind": "fwht"})
    error("d.toml: stage 1 (pad): n = 16: must be a power of two larger than the incoming "
          "16 elements and at most 4096", {"kind": "pad", "n": 16})
    error("d.toml: stage 1 (shift): bits = 8: must be an integer from 1 to 7 (the incoming "
          "elements have 8 bits)", {"kind": "shift", "bits": 8})


def test_growth_past_the_golden_model_width():
    error('d.toml: stage 2 (fwht): overflow = "grow" would make 63-bit elements; at most 62 '
          'bits are allowed', {"kind": "fwht", "width": 61}, {"kind": "fwht", "overflow": "grow"},
          n=4)


def test_file_errors(tmp_path):
    with pytest.raises(DesignError, match=r"^.*missing\.toml: no such design file$"):
        load_design(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("n = = 3\n")
    with pytest.raises(DesignError, match=r"^.*bad\.toml: not valid TOML: .*\(at line 1, column 5\)$"):
        load_design(bad)


def test_signals_wider_than_amaranth_allows():
    error("d.toml: stage 1 (fwht): level 7 would be 4096 x 16 = 65536 bits in one signal; "
          "Amaranth allows at most 65535: use fewer elements or narrower ones (a smaller n, "
          "parallelism, input_width, wrap width or number of outputs)",
          {"kind": "fwht", "overflow": "grow"}, n=4096)
    error("d.toml: stage 1 (sign): its input would be 4096 x 32 = 131072 bits in one signal; "
          "Amaranth allows at most 65535: use fewer elements or narrower ones (a smaller n, "
          "parallelism, input_width, wrap width or number of outputs)", {"kind": "sign"},
          n=4096, input_width=32)
    assert parse_design(table({"kind": "fwht", "width": 15}, n=4096)).output.total_width == 61440
