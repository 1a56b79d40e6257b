"""The generated Verilog and its manifest, driven by a testbench written from the manifest
alone and checked against references computed from the manifest alone (Icarus Verilog)."""

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from nomul.cli import main
from reference import extreme_vectors, random_vectors, ref_stage

EXAMPLES = sorted(Path(__file__).parent.parent.glob("examples/*.toml"))


def tool(name):
    path = shutil.which(name)
    assert path, f"{name} is not installed: install Icarus Verilog (apt-get install iverilog)"
    return path


def generate(design_file, out):
    assert main(["verilog", str(design_file), "-o", str(out)]) == 0
    manifest = json.loads(next(out.glob("*.json")).read_text())
    return out / f"{manifest['name']}.v", manifest


def manifest_reference(manifest, vectors):
    """Every stage applied as the manifest describes it (kind and resolved parameters)."""
    out = []
    for vector in vectors.tolist():
        for stage in manifest["stages"]:
            vector = ref_stage(stage, vector)
        out.append(vector)
    return out


def pack_hex(vector, width):
    value = 0
    for j, v in enumerate(vector):
        value |= (v % 2 ** width) << (j * width)
    return f"{value:x}"


def unpack_hex(text, elements, width, signed):
    value = int(text, 16)
    out = []
    for j in range(elements):
        v = (value >> (j * width)) % 2 ** width
        out.append(v - 2 ** width if signed and v >= 2 ** (width - 1) else v)
    return out


TESTBENCH = """\
`timescale 1ns/1ps
module tb;
  reg clk = 0;
  reg rst;
{declarations}
  reg [{in_width}-1:0] vectors [0:{count}-1];
  reg [1:0] pattern [0:{cycles}-1];
  integer t, k, f;
  {top} dut ({connections});
  always #5 clk = ~clk;
  initial begin
    $readmemh("vectors.hex", vectors);
    $readmemh("pattern.hex", pattern);
    f = $fopen("transfers.txt", "w");
    k = 0;
    rst = 1;         // an event at time 0 (a declaration's initial value is none)
    @(posedge clk); #1 rst = 0;
    for (t = 0; t < {cycles}; t = t + 1) begin
      i__valid = pattern[t][0] && k < {count};
      i__payload = vectors[k < {count} ? k : 0];
      o__ready = pattern[t][1];
      #4;
      if (i__valid && i__ready) begin $fwrite(f, "in %0d\\n", t); k = k + 1; end
      if (o__valid && o__ready) $fwrite(f, "out %0d %h\\n", t, o__payload);
      @(posedge clk); #1;
    end
    $fclose(f);
    $finish;
  end
endmodule
"""


def run_icarus(verilog, manifest, vectors, pattern, work, standard):
    ports = {p["name"]: p for p in manifest["ports"]}
    declarations = "\n".join(
        f"  {'reg' if p['direction'] == 'input' else 'wire'} [{p['width']}-1:0] {p['name']};"
        for name, p in ports.items() if name not in ("clk", "rst"))
    connections = ", ".join(f".{name}({name})" for name in ports)
    (work / "tb.v").write_text(TESTBENCH.format(
        declarations=declarations, in_width=ports["i__payload"]["width"],
        count=vectors.size // manifest["input"]["lanes"], cycles=len(pattern),
        top=manifest["top"],
        connections=connections))
    width, lanes = manifest["input"]["width"], manifest["input"]["lanes"]
    beats = vectors.reshape(-1, lanes)       # beat b of a vector: elements b*lanes ..
    (work / "vectors.hex").write_text("".join(pack_hex(v, width) + "\n" for v in beats.tolist()))
    (work / "pattern.hex").write_text("".join(f"{int(v) + 2 * int(r)}\n" for v, r in pattern))
    subprocess.run([tool("iverilog"), f"-g{standard}", "-o", str(work / "tb.vvp"),
                    str(work / "tb.v"), str(verilog)], check=True, capture_output=True)
    subprocess.run([tool("vvp"), "-n", str(work / "tb.vvp")], cwd=work, check=True,
                   capture_output=True)
    ins, outs = [], []
    output = manifest["output"]
    for line in (work / "transfers.txt").read_text().splitlines():
        fields = line.split()
        if fields[0] == "in":
            ins.append(int(fields[1]))
        else:
            outs.append((int(fields[1]), unpack_hex(fields[2], output["lanes"],
                                                    output["width"], output["signed"])))
    return ins, outs


def whole_vectors(outs, manifest):
    """The output beats joined into vectors."""
    beats = manifest["output"]["beats"]
    return [sum((v for _, v in outs[k:k + beats]), []) for k in range(0, len(outs), beats)]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("standard", ["2005", "2012"])
def test_manifest_alone_drives_and_checks_the_verilog(path, standard, tmp_path):
    verilog, manifest = generate(path, tmp_path / "out")
    rng = np.random.default_rng(5)
    n, width = manifest["n"], manifest["input"]["width"]
    vectors = np.vstack([extreme_vectors(n, width), random_vectors(rng, 30, n, width)])
    want = manifest_reference(manifest, vectors)

    # Full throughput: the first beat of result k comes latency + k * interval cycles
    # after the first beat of vector 0 went in, its other beats on the cycles after it.
    latency, interval = manifest["latency"], manifest["interval"]
    beats_in, beats_out = manifest["input"]["beats"], manifest["output"]["beats"]
    cycles = len(vectors) * interval + latency + 3
    ins, outs = run_icarus(verilog, manifest, vectors, [(1, 1)] * cycles, tmp_path, standard)
    assert len(ins) == len(vectors) * beats_in and ins[0] == 0
    times = [t for t, _ in outs]
    assert times[::beats_out] == [latency + k * interval for k in range(len(vectors))]
    assert times == [t + b for t in times[::beats_out] for b in range(beats_out)]
    assert whole_vectors(outs, manifest) == want

    # Random valid/ready: the same results, in order.
    cycles = int(len(vectors) * interval * 4) + 300
    pattern = list(zip(rng.random(cycles) < 0.6, rng.random(cycles) < 0.5))
    ins, outs = run_icarus(verilog, manifest, vectors, pattern, tmp_path, standard)
    assert len(ins) == len(vectors) * beats_in and len(outs) == len(vectors) * beats_out
    assert whole_vectors(outs, manifest) == want


def test_manifest_contents(tmp_path):
    _, manifest = generate(Path(__file__).parent.parent / "examples/hd_block64.toml", tmp_path)
    assert manifest["top"] == "hd_block64" and manifest["latency"] == 7
    assert manifest["interval"] == 1 and manifest["flow"] == "stall"
    assert manifest["input"] == {"port": "i__payload", "kind": "int", "elements": 64,
                                 "width": 8, "signed": True, "total_width": 512,
                                 "packing": "element j at bits [j*width +: width]",
                                 "lanes": 64, "beats": 1, "beat_width": 512}
    assert manifest["output"]["kind"] == "bits" and manifest["output"]["total_width"] == 64
    assert (manifest["output"]["lanes"], manifest["output"]["beats"]) == (64, 1)
    assert {p["name"]: (p["direction"], p["width"]) for p in manifest["ports"]} == {
        "clk": ("input", 1), "rst": ("input", 1), "i__valid": ("input", 1),
        "i__ready": ("output", 1), "i__payload": ("input", 512), "o__valid": ("output", 1),
        "o__ready": ("input", 1), "o__payload": ("output", 64)}
    flip, fwht, sign = manifest["stages"]
    assert len(flip["signs"]) == 64 and flip["seed"] == 7
    assert [(t["name"], t["valid"], t["cycle"], t["width"]) for t in flip["taps"] + fwht["taps"]] == (
        [("s1_signflip.flipped", "s1_signflip.flipped_valid", 1, 8)]
        + [(f"s2_fwht.level{s}", f"s2_fwht.level{s}_valid", s + 2, 9 + s) for s in range(6)])
    assert sign["taps"] == [] and sign["latency"] == 0
    assert len(manifest["design_hash"]) == 64
    text = (tmp_path / "hd_block64.v").read_bytes()
    assert manifest["verilog_sha256"] == hashlib.sha256(text).hexdigest()
    assert text.startswith(f"// Generated by nomul {manifest['nomul_version']} from design "
                           f"hd_block64 (design hash {manifest['design_hash']})".encode())


def test_taps_are_registers_in_the_verilog(tmp_path):
    verilog, manifest = generate(Path(__file__).parent.parent / "examples/hd2_pad.toml", tmp_path)
    text = verilog.read_text()
    for stage in manifest["stages"]:
        for tap in stage["taps"]:
            instance, name = tap["name"].split(".")
            module = text.split(f"module \\{manifest['top']}.{instance} ")[1].split("endmodule")[0]
            assert f" {name};" in module and f" {name}_valid;" in module


def test_verilog_is_reproducible(tmp_path):
    path = Path(__file__).parent.parent / "examples/fwht16_wrap.toml"
    first, _ = generate(path, tmp_path / "a")
    second, _ = generate(path, tmp_path / "b")
    assert first.read_text() == second.read_text()
    assert str(Path(__file__).parent.parent) not in first.read_text()
