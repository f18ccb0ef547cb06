"""Class heads as data: one heads.onnx graph for any set of classes, and one ``classes/<slug>.f32`` per class.

heads.onnx (docs/architecture.md): inputs feature [B,256], head_input [B,8,D,H,W], gen_w1 [C,512,256],
gen_b1 [C,512], gen_w2 [C,153,512], gen_b2 [C,153]; output logits [B,C,D,H,W]. B, C, D, H, W are all dynamic.
A class file is that class's folded generator, little-endian float32, in the order w1 [512][256], b1 [512],
w2 [153][512], b2 [153] (210,073 floats, 840,292 bytes).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch

from contseg.network import FEATURE_DIM, GENERATOR_HIDDEN, HEAD_CHANNELS, HEAD_PARAM_COUNT, FoldedGenerator, FoldedHeads

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


def export_heads(path: Path) -> Path:
    """Write heads.onnx: the FoldedHeads graph with dynamic batch, class count and spatial size."""
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
            FoldedHeads(),
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
