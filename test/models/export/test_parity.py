"""PyTorch vs ONNX Runtime (CPU) on a patch of the real CT (/work/shared): the whole model (backbone + heads.onnx
on the class files) gives the same logits and the same thresholded masks, for the fp32 and fp16 backbones."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from contseg.export.manifest import REGISTRY_DIR
from contseg.export.release import onnx_logits
from contseg.network import ContinualSegmenter, load_checkpoint

RELEASE_CHECKPOINTS = {"abdomen-fast": REGISTRY_DIR.parent / ".work" / "release-gpu" / "final.pt"}  # models/configs/release-gpu.yaml


def dice(a: np.ndarray, b: np.ndarray) -> float:
    """Dice of two boolean masks (1.0 when both are empty)."""
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * int(np.logical_and(a, b).sum()) / total


def parity(model: ContinualSegmenter, folder: Path, image: np.ndarray, backbone: str) -> tuple[float, dict[str, float], dict[str, float]]:
    """(max |logit diff|, worst Dice per class, positive fraction per class) of the folder's ONNX vs PyTorch.

    Dice is taken at the production threshold (logit 0) and, because a random model's masks at 0 are almost all
    or nothing, also at the per-class median of PyTorch's logits (half the voxels in each mask); the worse counts.
    """
    manifest = json.loads((folder / "manifest.json").read_text())
    with torch.no_grad():
        reference = model(torch.from_numpy(image)).numpy()
    logits = onnx_logits(folder, backbone, manifest["classes"], image)
    names = [c["name"] for c in manifest["classes"]]
    assert names == model.class_names
    dices = {}
    for i, name in enumerate(names):
        median = float(np.median(reference[0, i]))
        dices[name] = min(dice(logits[0, i] > t, reference[0, i] > t) for t in (0.0, median))
    positive = {n: float((reference[0, i] > 0).mean()) for i, n in enumerate(names)}
    return float(np.abs(logits - reference).max()), dices, positive


def test_fp32_parity_on_real_ct(exported, real_ct_patch: np.ndarray) -> None:  # noqa: ANN001
    """fp32: max |logit diff| < 1e-3 and Dice >= 0.999 per class on a real CT patch."""
    diff, dices, positive = parity(exported.model, exported.folder, real_ct_patch, "backbone.onnx")
    print(f"fp32 real-CT parity: max|diff|={diff:.3g} dice={dices} positive={positive}")
    assert diff < 1e-3
    assert all(d >= 0.999 for d in dices.values()), dices


def test_fp16_parity_on_real_ct(exported, real_ct_patch: np.ndarray) -> None:  # noqa: ANN001
    """fp16 weights (fp32 I/O): Dice >= 0.99 per class and max |logit diff| < 0.05 on a real CT patch."""
    diff, dices, _ = parity(exported.model, exported.folder, real_ct_patch, "backbone.fp16.onnx")
    print(f"fp16 real-CT parity: max|diff|={diff:.3g} dice={dices}")
    assert diff < 0.05
    assert all(d >= 0.99 for d in dices.values()), dices


@pytest.mark.parametrize("backbone", ["backbone.onnx"])
def test_parity_on_synthetic_patch_without_shared_data(exported, backbone: str) -> None:  # noqa: ANN001
    """Without /work/shared the export is still checked: a smooth synthetic patch, same tolerances as fp32."""
    grid = np.linspace(-1, 1, 64, dtype=np.float32)
    z, y, x = np.meshgrid(grid, grid, grid, indexing="ij")
    image = np.clip(0.5 + 0.4 * np.sin(4 * x + z) * np.cos(3 * y), 0, 1)[None, None].astype(np.float32)
    diff, dices, _ = parity(exported.model, exported.folder, image, backbone)
    assert diff < 1e-3
    assert all(d >= 0.999 for d in dices.values()), dices


@pytest.mark.parametrize("model_id", sorted(RELEASE_CHECKPOINTS))
def test_release_parity_on_real_ct(model_id: str, real_ct_patch: np.ndarray) -> None:
    """The committed release's ONNX files vs its training checkpoint: max |logit diff| < 1e-4 x max |logit|, Dice >= 0.999."""
    folder, checkpoint = REGISTRY_DIR / model_id, RELEASE_CHECKPOINTS[model_id]
    if not (folder / "manifest.json").is_file():
        pytest.skip(f"{model_id} is not released in {REGISTRY_DIR}")
    if not checkpoint.is_file():
        pytest.skip(f"training checkpoint {checkpoint} is absent (it is not committed; train the release to check)")
    model, _ = load_checkpoint(checkpoint)
    diff, dices, positive = parity(model, folder, real_ct_patch, "backbone.onnx")
    with torch.no_grad():
        scale = max(1.0, float(model(torch.from_numpy(real_ct_patch)).abs().max()))
    print(f"{model_id} real-CT parity: max|diff|={diff:.3g} (max|logit| {scale:.4g}) dice={dices} positive={positive}")
    assert diff < 1e-4 * scale, "fp32 logits must agree to 1e-4 of the largest |logit| (trained heads reach ~10^3)"
    assert all(d >= 0.999 for d in dices.values()), dices


@pytest.mark.parametrize("model_id", sorted(RELEASE_CHECKPOINTS))
def test_release_fp16_backbone_matches_fp32_on_real_ct(model_id: str, real_ct_patch: np.ndarray) -> None:
    """The committed release's fp16 backbone vs its fp32 one (no checkpoint needed): Dice >= 0.99 per class where
    fp32 finds the class, and the logits within 1% of the largest |logit|."""
    folder = REGISTRY_DIR / model_id
    manifest = json.loads((folder / "manifest.json").read_text())
    if "backboneFp16" not in manifest["network"]:
        pytest.skip(f"{model_id} has no fp16 backbone")
    fp32 = onnx_logits(folder, "backbone.onnx", manifest["classes"], real_ct_patch)
    fp16 = onnx_logits(folder, "backbone.fp16.onnx", manifest["classes"], real_ct_patch)
    scale = max(1.0, float(np.abs(fp32).max()))
    dices = {c["name"]: dice(fp16[0, i] > 0, fp32[0, i] > 0) for i, c in enumerate(manifest["classes"]) if (fp32[0, i] > 0).any()}
    print(f"{model_id} fp16 vs fp32: max|diff|={float(np.abs(fp16 - fp32).max()):.3g} (max|logit| {scale:.4g}) dice={dices}")
    assert dices, "fp32 finds no class on the real CT patch: the parity check would be empty"
    assert float(np.abs(fp16 - fp32).max()) < 0.01 * scale
    assert all(d >= 0.99 for d in dices.values()), dices
