"""The exported backbone is WebGPU-ready and faithful: no ConvTranspose, no node binding more than 8 storage
buffers, only ops onnxruntime-web's WebGPU EP registers (static check against the installed package's
op-resolve-rules.ts), no folded-in giant constants, the contract's I/O, and ORT CPU equals PyTorch."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from contseg.export.onnx_graph import initializer_bytes, op_types, storage_buffer_violations, unsupported_ops

REPO = Path(__file__).resolve().parents[3]
OP_RULES = REPO / "node_modules/onnxruntime-web/lib/wasm/jsep/webgpu/op-resolve-rules.ts"
# Kernels the JSEP registers in C++ (js_execution_provider.cc) rather than in op-resolve-rules.ts: pure
# data-movement ops that alias or reshape GPU buffers, and Shape (output on the CPU by design).
JSEP_CPP_KERNELS = {"Shape", "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Identity", "If"}
# Registered, but rejected for 3-D inputs by the WebGPU EP (platform.md): must never appear.
REJECTED_IN_3D = {"ConvTranspose"}


def webgpu_supported_ops() -> set[str]:
    """Op types the installed onnxruntime-web's WebGPU (JSEP) backend implements."""
    if not OP_RULES.is_file():
        pytest.skip(f"{OP_RULES} is absent (run .ci/setup to install onnxruntime-web)")
    rules = set(re.findall(r"^\s*\['(\w+)',\s*\[", OP_RULES.read_text(), flags=re.M))
    assert {"Conv", "MatMul", "Softmax", "Concat"} <= rules, "op-resolve-rules.ts format changed; fix the parser"
    return (rules | JSEP_CPP_KERNELS) - REJECTED_IN_3D


def test_backbone_graph_is_webgpu_ready(exported) -> None:  # noqa: ANN001 (fixture type from conftest)
    """No ConvTranspose, every Concat <= 4 inputs, no node over 8 storage buffers, every op in the WebGPU EP."""
    model = onnx.load(str(exported.folder / "backbone.onnx"))
    ops = op_types(model)
    assert "ConvTranspose" not in ops
    assert max(len(n.input) for n in model.graph.node if n.op_type == "Concat") <= 4
    assert storage_buffer_violations(model) == []
    assert unsupported_ops(model, webgpu_supported_ops()) == {}
    heads = onnx.load(str(exported.folder / "heads.onnx"))
    assert unsupported_ops(heads, webgpu_supported_ops()) == {}
    assert storage_buffer_violations(heads) == []


def test_backbone_size_is_about_its_parameters(exported) -> None:  # noqa: ANN001
    """File and constants stay within 15% of 4 bytes x parameters (no attention mask or bias folded into constants);
    the fp16 file is under 60% of the fp32 one."""
    parameters = exported.model.backbone_parameters()
    parameter_bytes = 4 * sum(p.numel() for p in parameters)
    path = exported.folder / "backbone.onnx"
    assert initializer_bytes(onnx.load(str(path))) < 1.15 * parameter_bytes
    assert path.stat().st_size < 1.15 * parameter_bytes
    fp16 = exported.folder / "backbone.fp16.onnx"
    assert fp16.stat().st_size < 0.6 * path.stat().st_size


def test_backbone_io_contract(exported) -> None:  # noqa: ANN001
    """image [batch,1,64,64,64] -> feature [batch,256], head_input [batch,8,64,64,64], float32, for fp32 and fp16."""
    for name in ("backbone.onnx", "backbone.fp16.onnx"):
        model = onnx.load(str(exported.folder / name))
        shapes = {
            v.name: ([d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim], v.type.tensor_type.elem_type)
            for v in [*model.graph.input, *model.graph.output]
        }
        f32 = onnx.TensorProto.FLOAT
        assert shapes == {
            "image": (["batch", 1, 64, 64, 64], f32),
            "feature": (["batch", 256], f32),
            "head_input": (["batch", 8, 64, 64, 64], f32),
        }, name
        assert model.opset_import[0].version >= 17


def test_backbone_runs_any_batch_like_pytorch(exported) -> None:  # noqa: ANN001
    """A batch of 2 random patches through ORT CPU equals PyTorch's backbone_forward (the batch axis is dynamic)."""
    session = ort.InferenceSession(str(exported.folder / "backbone.onnx"), providers=["CPUExecutionProvider"])
    x = torch.rand(2, 1, 64, 64, 64, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        feature, head_input = exported.model.backbone_forward(x)
    got_feature, got_head_input = session.run(None, {"image": x.numpy()})
    np.testing.assert_allclose(got_feature, feature.numpy(), atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(got_head_input, head_input.numpy(), atol=1e-3, rtol=1e-4)


def test_depth_stacked_graph_has_only_the_strided_conv_in_3d_and_equals_pytorch(exported, tmp_path: Path) -> None:  # noqa: ANN001
    """The WebGPU-only export (stride-1 Conv3d as depth-stacked Conv2d): the patch embedding is its only 5-D Conv,
    every op is in the WebGPU EP, no node over 8 storage buffers, and ORT CPU equals PyTorch for a batch of 2."""
    from contseg.export.backbone import export_backbone

    path = export_backbone(exported.model, 64, tmp_path / "backbone.onnx", depth_stacked_convs=True).path
    model = onnx.load(str(path))
    weights = {i.name: len(i.dims) for i in model.graph.initializer}
    conv_ranks = [weights.get(n.input[1]) for n in model.graph.node if n.op_type == "Conv"]
    assert conv_ranks.count(5) == 1 and conv_ranks.count(4) == 33, conv_ranks
    assert unsupported_ops(model, webgpu_supported_ops()) == {} and storage_buffer_violations(model) == []
    x = torch.rand(2, 1, 64, 64, 64, generator=torch.Generator().manual_seed(8))
    with torch.no_grad():
        feature, head_input = exported.model.backbone_forward(x)
    got_feature, got_head_input = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"image": x.numpy()})
    np.testing.assert_allclose(got_feature, feature.numpy(), atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(got_head_input, head_input.numpy(), atol=1e-3, rtol=1e-4)
