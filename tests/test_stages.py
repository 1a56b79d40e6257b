"""Every stage kind is complete: a spec (nomul.stages), hardware (hdl), a golden function
and an independent reference, all found by kind; the spec derives everything else."""

from dataclasses import FrozenInstanceError, replace

import pytest

from nomul.design import parse_design
from nomul.golden.functional import STEPS
from nomul.hdl.top import STAGE_COMPONENTS
from nomul.stages import STAGES
from reference import REFERENCES


def test_every_kind_has_hardware_golden_model_and_reference():
    assert set(STAGES) == set(STEPS) == set(REFERENCES)
    assert set(STAGE_COMPONENTS) == {(kind, form) for kind in STAGES
                                     for form in ("parallel", "streaming")}
    for kind, spec in STAGES.items():
        assert spec.kind == kind


def test_a_stage_cannot_carry_an_output_inconsistent_with_its_parameters():
    design = parse_design({"name": "t", "n": 8, "input_width": 4, "stage": [
        {"kind": "fwht", "overflow": "grow"}, {"kind": "sign"},
        {"kind": "xnor_popcount", "outputs": 3, "seed": 1, "result": "dot"}]})
    fwht, _, xnor = design.stages
    assert fwht.output.width == 4 + 3
    assert replace(fwht, overflow="wrap", width=9).output.width == 9
    assert (xnor.output.kind, xnor.output.width) == ("int", 5)
    assert replace(xnor, result="popcount").output.kind == "uint"
    with pytest.raises(FrozenInstanceError):
        fwht.register = 2
    assert "output" not in fwht.params()
