"""Writes the model the browser WebGPU placement test (test/extension/engine/webgpu-clean.test.ts) runs.

Usage: make_webgpu_fixture.py <out dir>

A randomly initialised feature-size-12 ContinualSegmenter (seed 0, two classes), exported exactly as a release is
(contseg.export: backbone.onnx at a 64^3 patch, heads.onnx, classes/<slug>.f32), plus:
- input.f32: one smooth [1,1,64,64,64] patch; feature.f32, head_input.f32, logits.f32: PyTorch's outputs for it;
- nodes.json: {backbone|heads: {node name: {op, outputs: [element type names]}}} so the test can tell shape-only
  nodes (int64 outputs, which ORT deliberately keeps on the CPU) from compute nodes.
Never a release: random weights, written only to the test cache.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import torch

from contseg.export.backbone import export_backbone
from contseg.export.heads import class_slug, export_heads, write_class_file
from contseg.network import ContinualSegmenter

PATCH = 64
CLASSES = ("liver", "liver tumour")


def node_types(path: Path) -> dict[str, dict[str, object]]:
    """Op type and output element types of every node (after ONNX shape inference)."""
    model = onnx.shape_inference.infer_shapes(onnx.load(str(path)))
    types = {v.name: v.type.tensor_type.elem_type for v in [*model.graph.value_info, *model.graph.output]}
    return {
        n.name: {"op": n.op_type, "outputs": [onnx.TensorProto.DataType.Name(types.get(o, 0)) for o in n.output]}
        for n in model.graph.node
    }


def main(out: Path) -> None:
    torch.manual_seed(0)
    model = ContinualSegmenter(feature_size=12).eval()
    for name in CLASSES:
        model.add_class(name, torch.randn(512), "clip")
    out.mkdir(parents=True, exist_ok=True)
    export_backbone(model, PATCH, out / "backbone.onnx")
    export_heads(out / "heads.onnx")
    for name in CLASSES:
        write_class_file(model.fold(name), out / "classes" / f"{class_slug(name)}.f32")
    grid = np.linspace(-1.0, 1.0, PATCH, dtype=np.float32)
    z, y, x = np.meshgrid(grid, grid, grid, indexing="ij")
    image = np.clip(0.5 + 0.3 * np.sin(3 * x) * np.cos(2 * y) + 0.2 * np.exp(-(x**2 + y**2 + z**2) / 0.1), 0, 1)
    image = image[None, None].astype("<f4")
    with torch.no_grad():
        feature, head_input = model.backbone_forward(torch.from_numpy(image))
        logits = model.heads(feature, head_input)
    for name, array in (("input", image), ("feature", feature), ("head_input", head_input), ("logits", logits)):
        np.ascontiguousarray(np.asarray(array), dtype="<f4").tofile(out / f"{name}.f32")
    nodes = {"backbone": node_types(out / "backbone.onnx"), "heads": node_types(out / "heads.onnx")}
    meta = {"patch": PATCH, "classes": [class_slug(c) for c in CLASSES]}
    (out / "nodes.json").write_text(json.dumps(nodes))
    (out / "fixture.json").write_text(json.dumps(meta))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
