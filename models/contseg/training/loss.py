"""The paper's loss: binary cross-entropy with logits + binary Dice (smooth 1), over labelled classes only."""

from __future__ import annotations

import torch
import torch.nn.functional as F

DICE_SMOOTH = 1.0


def masked_bce_dice_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """logits [B, C, D, H, W], target [B, C, D, H, W] with 1 / 0 / -1 (-1 = not annotated, ignored) -> scalar.

    Per (batch item, class) with at least one labelled voxel: mean BCE over its labelled voxels plus
    1 - (2 sum(p t) + 1) / (sum p + sum t + 1) over the same voxels; the result averages those pairs.
    Raises when nothing in the batch is labelled (a data error, not a zero loss).
    """
    if logits.shape != target.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and target {tuple(target.shape)} differ")
    logits = logits.float().flatten(2)  # [B, C, N]
    target = target.flatten(2)
    mask = (target >= 0).float()
    t = target.clamp(min=0).float()
    counts = mask.sum(-1)  # [B, C]
    labelled = counts > 0
    if not bool(labelled.any()):
        raise ValueError("no labelled voxel in the batch: every class is -1")
    bce = (F.binary_cross_entropy_with_logits(logits, t, reduction="none") * mask).sum(-1) / counts.clamp(min=1)
    p = torch.sigmoid(logits) * mask
    dice = 1.0 - (2.0 * (p * t).sum(-1) + DICE_SMOOTH) / (p.sum(-1) + t.sum(-1) + DICE_SMOOTH)
    return (bce + dice)[labelled].mean()
