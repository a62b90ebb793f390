"""ONNX export (dynamic batch and spatial size) and the voxseg manifest next to it."""
import hashlib
import json
from pathlib import Path

import onnx
import torch

SCT_ANATOMY = {"code": "123037004", "scheme": "SCT", "meaning": "Anatomical Structure"}


def export_onnx(model, path, patch, opset=17):
    model.eval()
    dummy = torch.zeros(1, 1, *patch)
    axes = {0: "batch", 2: "depth", 3: "height", 4: "width"}
    torch.onnx.export(model, dummy, str(path), input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": axes, "output": axes}, opset_version=opset,
                      do_constant_folding=True)
    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    return sorted({n.op_type for n in m.graph.node})


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_manifest(cfg, out_dir, norm, info):
    """manifest.json in the format voxseg reads (schema voxseg-model/1)."""
    pre = cfg["preprocessing"]
    labels = []
    for l in cfg["labels"]:
        e = {"value": l["value"], "name": l["name"], "color": l["color"]}
        if "type" in l:
            e["category"] = SCT_ANATOMY
            e["type"] = {"code": l["type"][0], "scheme": "SCT", "meaning": l["type"][1]}
        labels.append(e)
    manifest = {
        "schema": "voxseg-model/1",
        "id": cfg["id"],
        "name": cfg["name"],
        "version": cfg["version"],
        "license": cfg["license"],
        "description": cfg["description"],
        "provenance": {
            "source": f"voxseg training/ (configs/{cfg['id']}.json)",
            "data": info["data"],
            "training": info["training"],
        },
        "intended": cfg["intended"],
        "model": {
            "file": "model.onnx",
            "input": "input",
            "output": "output",
            "layout": "NCDHW",
            "channels": len(cfg["labels"]) + 1,
            "expectedSeconds": info.get("expectedSeconds", 30),
            "sha256": sha256(Path(out_dir) / "model.onnx"),
        },
        "labels": labels,
        "preprocessing": {
            "mode": "sliding-window",
            "spacing": pre["spacing"],
            "orientation": pre["orientation"],
            # The training patch (i, j, k order): the network learns where things sit in its patch.
            "patch": list(reversed(cfg["train"]["patch"])),
            "overlap": pre["overlap"],
            "blending": "gaussian",
            "sigmaScale": 0.125,
            "mirrorAxes": [],
            "batch": 1,
            "normalization": norm,
        },
        "postprocessing": {"activation": "softmax", "decision": "argmax", "labelResampling": "linear",
                           "largestComponent": info.get("largestComponent", [])},
        "validation": info["validation"],
        "report": "report.json",
    }
    path = Path(out_dir) / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
