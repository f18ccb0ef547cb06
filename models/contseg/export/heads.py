"""Class heads as data: one heads.onnx graph for any set of classes, and one ``classes/<slug>.f32`` per class.

heads.onnx (docs/architecture.md): inputs feature [B,256], head_input [B,8,D,H,W], gen_w1 [C,512,256],
gen_b1 [C,512], gen_w2 [C,153,512], gen_b2 [C,153]; output logits [B,C,D,H,W]. B, C, D, H, W are all dynamic.
A class file is that class's folded generator, little-endian float32, in the order w1 [512][256], b1 [512],
w2 [153][512], b2 [153] (210,073 floats, 840,292 bytes).

The exported graph is ``FusedHeads``: the same function as ``contseg.network.FoldedHeads`` written as batched
MatMuls instead of Einsums (onnxruntime-web's WASM Einsum was ~2x slower than MatMul), with every selected class's
head fused into one grouped operation per layer: the first head layer of all classes is a single
[C*8, 8] x [8, N] product per batch item, the second and third are one batched MatMul over (batch, class).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch

from torch import nn

from contseg.network import FEATURE_DIM, GENERATOR_HIDDEN, HEAD_CHANNELS, HEAD_PARAM_COUNT, HEAD_PARAM_SIZES, FoldedGenerator

from .backbone import OPSET
from .onnx_graph import storage_buffer_violations

HEADS_INPUTS = ("feature", "head_input", "gen_w1", "gen_b1", "gen_w2", "gen_b2")
HEADS_OUTPUT = "logits"
CLASS_FILE_SHAPES: tuple[tuple[int, ...], ...] = (
    (GENERATOR_HIDDEN, FEATURE_DIM),
    (GENERATOR_HIDDEN,),
    (HEAD_PARAM_COUNT, GENERATOR_HIDDEN),
    (HEAD_PARAM_COUNT,),
)
CLASS_FILE_FLOATS = sum(int(np.prod(s)) for s in CLASS_FILE_SHAPES)
CLASS_FILE_BYTES = 4 * CLASS_FILE_FLOATS


def class_slug(name: str) -> str:
    """File-name slug of a class name: lower case, runs of other characters to '-' ("liver tumour" -> "liver-tumour")."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if not slug:
        raise ValueError(f"class name {name!r} has no letters or digits to make a file name from")
    return slug


class FusedHeads(nn.Module):
    """FoldedHeads as grouped MatMuls: one product per layer for all classes (the graph heads.onnx holds)."""

    def forward(
        self,
        feature: torch.Tensor,
        head_input: torch.Tensor,
        gen_w1: torch.Tensor,
        gen_b1: torch.Tensor,
        gen_w2: torch.Tensor,
        gen_b2: torch.Tensor,
    ) -> torch.Tensor:
        """feature [B,256], head_input [B,8,D,H,W], gen_w1 [C,512,256], gen_b1 [C,512], gen_w2 [C,153,512],
        gen_b2 [C,153] -> logits [B,C,D,H,W]."""
        b, _, d, h, w = head_input.shape
        c = gen_w1.shape[0]
        # Generators: [C,512,256] x [256,B] is one GEMM ([C*512,256] x [256,B]); no copy of the weights.
        hidden = torch.relu(torch.matmul(gen_w1, feature.t()) + gen_b1.unsqueeze(-1))  # [C, 512, B]
        params = (torch.matmul(gen_w2, hidden) + gen_b2.unsqueeze(-1)).permute(2, 0, 1)  # [B, C, 153]
        w1, w2, w3, b1, b2, b3 = torch.split(params, HEAD_PARAM_SIZES, dim=-1)
        x = head_input.reshape(b, HEAD_CHANNELS, d * h * w)  # [B, 8, N]
        # Layer 1 of all classes at once: [B, C*8, 8] x [B, 8, N] -> [B, C*8, N].
        w1 = w1.reshape(b, c * HEAD_CHANNELS, HEAD_CHANNELS)
        h1 = torch.relu(torch.matmul(w1, x) + b1.reshape(b, c * HEAD_CHANNELS, 1))
        h1 = h1.reshape(b, c, HEAD_CHANNELS, d * h * w)  # [B, C, 8, N]
        # Layers 2 and 3: one batched MatMul over (batch, class) each.
        w2 = w2.reshape(b, c, HEAD_CHANNELS, HEAD_CHANNELS)
        h2 = torch.relu(torch.matmul(w2, h1) + b2.unsqueeze(-1))  # [B, C, 8, N]
        out = torch.matmul(w3.unsqueeze(2), h2) + b3.unsqueeze(-1)  # [B, C, 1, N]
        return out.reshape(b, c, d, h, w)


def export_heads(path: Path) -> Path:
    """Write heads.onnx: the FusedHeads graph with dynamic batch, class count and spatial size."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    b, c, s = 2, 3, 4  # example sizes > 1 so that no axis is specialised
    example = (
        torch.rand(b, FEATURE_DIM),
        torch.rand(b, HEAD_CHANNELS, s, s + 1, s + 2),
        torch.rand(c, GENERATOR_HIDDEN, FEATURE_DIM),
        torch.rand(c, GENERATOR_HIDDEN),
        torch.rand(c, HEAD_PARAM_COUNT, GENERATOR_HIDDEN),
        torch.rand(c, HEAD_PARAM_COUNT),
    )
    batch, classes = torch.export.Dim("batch", min=1, max=64), torch.export.Dim("classes", min=1, max=256)
    d, h, w = (torch.export.Dim(n, min=1, max=1024) for n in ("depth", "height", "width"))
    dynamic = {
        "feature": {0: batch},
        "head_input": {0: batch, 2: d, 3: h, 4: w},
        "gen_w1": {0: classes},
        "gen_b1": {0: classes},
        "gen_w2": {0: classes},
        "gen_b2": {0: classes},
    }
    with torch.no_grad():
        program = torch.onnx.export(
            FusedHeads().eval(),
            example,
            dynamo=True,
            opset_version=OPSET,
            input_names=list(HEADS_INPUTS),
            output_names=[HEADS_OUTPUT],
            dynamic_shapes=dynamic,
            optimize=True,
            verbose=False,
        )
    proto = program.model_proto
    violations = storage_buffer_violations(proto)
    if violations:
        raise RuntimeError(f"heads graph nodes bind too many WebGPU storage buffers: {violations}")
    onnx.checker.check_model(proto)
    onnx.save_model(proto, path)
    return path


def write_class_file(generator: FoldedGenerator, path: Path) -> Path:
    """Write one class's folded generator as little-endian float32 (atomically: temp file + rename)."""
    parts = [np.ascontiguousarray(t.detach().cpu().numpy(), dtype="<f4") for t in generator]
    for part, shape, name in zip(parts, CLASS_FILE_SHAPES, FoldedGenerator._fields):
        if part.shape != shape:
            raise ValueError(f"{name} must be {list(shape)}, got {list(part.shape)}")
    if not all(np.isfinite(p).all() for p in parts):
        raise ValueError(f"class generator for {path.name} holds NaN or infinite values")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            for part in parts:
                f.write(part.tobytes())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a model file is meant to be served
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_class_file(path: Path) -> FoldedGenerator:
    """Read a ``classes/<slug>.f32`` file back; a file of the wrong size is refused with its actual size."""
    data = np.fromfile(path, dtype="<f4")
    if data.size != CLASS_FILE_FLOATS:
        raise ValueError(f"{path}: expected {CLASS_FILE_BYTES} bytes ({CLASS_FILE_FLOATS} float32), got {4 * data.size}")
    parts, offset = [], 0
    for shape in CLASS_FILE_SHAPES:
        n = int(np.prod(shape))
        parts.append(torch.from_numpy(data[offset : offset + n].reshape(shape).copy()))
        offset += n
    return FoldedGenerator(*parts)
