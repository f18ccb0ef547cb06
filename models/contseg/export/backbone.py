"""Export the backbone (image patch -> image feature + head input) to ONNX for onnxruntime-web's WebGPU EP.

Exporter: torch 2.13's dynamo exporter (``torch.onnx.export(..., dynamo=True)``) at opset 18. It keeps the batch
axis symbolic while every spatial shape is static, so shape arithmetic is folded away, and its optimizer folds
constants only up to a size limit (the legacy TorchScript exporter either leaves hundreds of CPU-side shape
nodes, Mod included, or folds the attention masks into constants nW*N*N floats large).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import onnx
import torch
from onnxruntime.transformers.float16 import convert_float_to_float16
from torch import nn

from .onnx_graph import initializer_bytes, sort_topologically, split_wide_concats, storage_buffer_violations, strip_node_annotations
from .torch_rewrites import compact_swin_masks, webgpu_ready_copy

OPSET = 18
BACKBONE_INPUT = "image"
BACKBONE_OUTPUTS = ("feature", "head_input")
# torch.export specialises a dimension whose example size is 1, so trace with 2 to keep the batch symbolic.
_TRACE_BATCH = 2
_MAX_BATCH = 64


class BackboneGraph(nn.Module):
    """The part of a ContinualSegmenter that backbone.onnx holds: ``model.backbone_forward``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """image [B, 1, P, P, P] -> (feature [B, 256], head_input [B, 8, P, P, P])."""
        return self.model.backbone_forward(image)


@dataclass(frozen=True)
class BackboneExport:
    """What export_backbone wrote."""

    path: Path
    bytes: int
    parameter_bytes: int  # 4 x the model's backbone parameter count (fp32)
    nodes: int
    concats_split: int


def export_backbone(model: nn.Module, patch: int, path: Path, depth_stacked_convs: bool = False) -> BackboneExport:
    """Write backbone.onnx (fp32) for a model with ``backbone_forward``; the caller's model is not modified.

    Args:
        model: a ContinualSegmenter (or any module with backbone_forward(image) -> (feature, head_input)).
        patch: the fixed cubic patch size P (a multiple of 32, at least 64: InstanceNorm needs > 1 voxel at 1/32).
        path: output file.
        depth_stacked_convs: stride-1 Conv3d as depth-stacked Conv2d (torch_rewrites.DepthStackedConv3d): for
            WebGPU only (onnxruntime-web runs 3-D Conv with a naive shader), too large for WASM at 96^3 and fs 48.

    The graph: input ``image`` float32 [batch, 1, P, P, P]; outputs ``feature`` [batch, 256] and ``head_input``
    [batch, 8, P, P, P]; ConvTranspose3d rewritten as Conv + pixel shuffle, Concats split to <= 4 inputs, the
    exporter's per-node source annotations dropped.
    """
    if patch < 64 or patch % 32:
        raise ValueError(f"patch must be a multiple of 32 and at least 64, got {patch}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    graph = BackboneGraph(webgpu_ready_copy(model, depth_stacked_convs))
    example = torch.rand(_TRACE_BATCH, 1, patch, patch, patch)
    batch = torch.export.Dim("batch", min=1, max=_MAX_BATCH)
    with compact_swin_masks(), torch.no_grad():
        program = torch.onnx.export(
            graph,
            (example,),
            dynamo=True,
            opset_version=OPSET,
            input_names=[BACKBONE_INPUT],
            output_names=list(BACKBONE_OUTPUTS),
            dynamic_shapes={"image": {0: batch}},
            optimize=True,
            verbose=False,
        )
    proto = program.model_proto
    strip_node_annotations(proto)
    concats = split_wide_concats(proto)
    violations = storage_buffer_violations(proto)
    if violations:
        raise RuntimeError(f"nodes bind more WebGPU storage buffers than allowed: {violations[:5]}")
    onnx.checker.check_model(proto)
    onnx.save_model(proto, path)
    params = sum(p.numel() for n, p in model.named_parameters() if not n.startswith("heads."))
    return BackboneExport(
        path=path, bytes=path.stat().st_size, parameter_bytes=4 * params, nodes=len(proto.graph.node), concats_split=concats
    )


def convert_backbone_fp16(src: Path, dst: Path) -> Path:
    """Write an fp16-weight copy of ``src`` whose inputs and outputs stay float32 (Cast nodes at the boundary).

    The browser feeds and reads float32 either way; the weights and activations inside are float16, halving the
    download and GPU memory. LayerNormalization/InstanceNormalization run in fp16 too (parity is measured by the
    tests, not assumed).
    """
    model = onnx.load(str(src))
    half = convert_float_to_float16(model, keep_io_types=True)
    sort_topologically(half)
    onnx.checker.check_model(half)
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    onnx.save_model(half, dst)
    return Path(dst)


def constant_overhead(path: Path, parameter_bytes: int) -> float:
    """(bytes of all constants in the graph) / (4 x parameters): about 1 when no large constant was folded in."""
    return initializer_bytes(onnx.load(str(path))) / parameter_bytes
