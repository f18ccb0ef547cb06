"""Sliding-window inference over a whole pre-processed volume (MONAI, overlap 0.5, Gaussian blending)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from monai.inferers import sliding_window_inference

from ..network.segmenter import ContinualSegmenter

THRESHOLD = 0.5


@torch.no_grad()
def predict_probabilities(
    model: ContinualSegmenter,
    image: torch.Tensor,
    patch: Sequence[int],
    classes: Sequence[str] | None = None,
    overlap: float = 0.5,
    sw_batch_size: int = 1,
    padding: str = "constant",
) -> torch.Tensor:
    """image [1, D, H, W] in [0, 1] -> sigmoid probabilities [C, D, H, W] (float32, on the image's device).

    Windows of ``patch`` (multiples of 32) overlap by ``overlap`` and are blended with a Gaussian; bf16 autocast on CUDA.
    A volume smaller than the patch is padded with zeros (``padding`` "constant") or its edge voxels ("replicate").
    """
    was_training = model.training
    model.eval()
    x = torch.as_tensor(image).as_subclass(torch.Tensor).float()[None]  # [1, 1, D, H, W]
    device = next(model.parameters()).device
    with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=device.type == "cuda"):
        logits = sliding_window_inference(
            x.to(device),
            roi_size=tuple(int(p) for p in patch),
            sw_batch_size=sw_batch_size,
            predictor=lambda patch_batch: model(patch_batch, classes).float(),
            overlap=overlap,
            mode="gaussian",
            padding_mode=padding,
        )
    model.train(was_training)
    return torch.sigmoid(torch.as_tensor(logits).as_subclass(torch.Tensor)[0].float())


def hard_predictions(probabilities: torch.Tensor) -> torch.Tensor:
    """probabilities [C, D, H, W] -> bool masks [C, D, H, W] (sigmoid > 0.5)."""
    return probabilities > THRESHOLD
