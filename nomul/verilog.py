"""Verilog and its manifest: the view of a design that external tools take away.

The manifest (JSON beside the Verilog) says everything needed to drive and check the
Verilog without reading nomul: ports, packing, handshake, latency, and per stage its
resolved parameters and the hierarchical names of its pipeline registers (taps).
"""

import json
import re
from importlib.metadata import PackageNotFoundError, version

from amaranth import Shape
from amaranth.back import verilog
from amaranth.lib.wiring import Flow

from .hdl.top import DesignTop

__all__ = ["generate", "write", "nomul_version"]


def nomul_version():
    try:
        return version("nomul")
    except PackageNotFoundError:
        return "unknown"


def _ports(top):
    ports = [{"name": "clk", "direction": "input", "width": 1},
             {"name": "rst", "direction": "input", "width": 1}]
    for path, member in top.signature.members.flatten():
        if member.is_port:
            ports.append({
                "name": "__".join(str(part) for part in path),
                "direction": "input" if member.flow == Flow.In else "output",
                "width": Shape.cast(member.shape).width,
            })
    return ports


def _declared(text, module, wire):
    """Whether the Verilog ``text`` declares ``wire`` inside the module named ``module``."""
    start = re.search(rf"^module \\?{re.escape(module)}[ (]", text, re.MULTILINE)
    if not start:
        return False
    body = text[start.end():text.index("endmodule", start.end())]
    return re.search(rf"^\s*(wire|reg)\s+(\[[^\]]*\]\s+)?{re.escape(wire)}\b", body,
                     re.MULTILINE) is not None


def _stage_json(design, stage):
    offset = design.stage_offset(stage)
    taps = []
    for tap in stage.taps:
        taps.append({
            "name": f"{stage.instance}.{tap.name}",
            "valid": f"{stage.instance}.{tap.valid_name}",
            "module": f"{design.name}.{stage.instance}",
            "cycle": offset + tap.cycle,
            **tap.vector.to_json(),
        })
    return {
        "index": stage.index, "kind": stage.kind, "instance": stage.instance,
        **stage.params(),
        "input": stage.input.to_json(), "output": stage.output.to_json(),
        "latency": stage.latency, "cycle_offset": offset, "taps": taps,
    }


def generate(design):
    """``(verilog_text, manifest)`` for ``design``: the Verilog of its top module (named
    ``design.name``) and the manifest as a JSON-compatible dict."""
    top = DesignTop(design)
    text = verilog.convert(top, name=design.name, emit_src=False)
    stages = [_stage_json(design, stage) for stage in design.stages]
    for stage in stages:
        for tap in stage["taps"]:
            for path in (tap["name"], tap["valid"]):
                instance, wire = path.split(".")
                if not _declared(text, f"{design.name}.{instance}", wire):
                    raise AssertionError(f"tap {path} is not in the generated Verilog")
    manifest = {
        "nomul_version": nomul_version(),
        "name": design.name,
        "top": design.name,
        "design_hash": design.digest,
        "n": design.n,
        "parallelism": design.parallelism,
        "latency": design.latency,
        "clock": {"port": "clk", "edge": "rising"},
        "reset": {"port": "rst", "active": "high", "synchronous": True,
                  "effect": "clears every valid bit: the pipeline is empty after it"},
        "handshake": ("a vector moves on a rising clk edge where valid and ready are both "
                      "high and rst is low; with o__ready high the result of a vector "
                      "taken in at edge k leaves at edge k + latency"),
        "input": {"port": "i__payload", **design.input.to_json()},
        "output": {"port": "o__payload", **design.output.to_json()},
        "ports": _ports(top),
        "stages": stages,
    }
    return text, manifest


def write(design, folder):
    """Writes ``folder/<name>.v`` and ``folder/<name>.json`` (the folder is made if
    missing) and returns their paths. A file that already holds the same text is left
    untouched, so simulator builds that depend on it stay up to date. Raises ``OSError``
    when they cannot be written."""
    text, manifest = generate(design)
    folder.mkdir(parents=True, exist_ok=True)
    verilog_path, manifest_path = folder / f"{design.name}.v", folder / f"{design.name}.json"
    for path, content in ((verilog_path, text), (manifest_path, json.dumps(manifest, indent=2) + "\n")):
        if not path.exists() or path.read_text() != content:
            path.write_text(content)
    return verilog_path, manifest_path
