"""Dice and HD95 per class, skipping classes a case does not annotate (target -1).

Undefined values are None, never a number that would bias a mean: Dice when truth and prediction are both empty;
HD95 when truth or prediction is empty (no surface to measure from; the case's Dice, 0 or undefined, carries it).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from monai.metrics import compute_hausdorff_distance


def _check_shapes(prediction: torch.Tensor, target: torch.Tensor) -> None:
    if prediction.shape != target.shape:
        raise ValueError(f"prediction {tuple(prediction.shape)} and target {tuple(target.shape)} differ")


def dice_per_class(prediction: torch.Tensor, target: torch.Tensor, classes: Sequence[str]) -> dict[str, float | None]:
    """prediction bool [C, D, H, W], target int8 [C, D, H, W] (1/0/-1) -> {class: Dice or None}.

    None when the case does not annotate the class (any -1) or when both prediction and reference are empty
    (Dice undefined; reported, not averaged).
    """
    _check_shapes(prediction, target)
    out: dict[str, float | None] = {}
    for i, name in enumerate(classes):
        t = target[i]
        if bool((t < 0).any()):
            out[name] = None
            continue
        p, r = prediction[i].bool(), t > 0
        denom = int(p.sum()) + int(r.sum())
        out[name] = None if denom == 0 else 2.0 * int((p & r).sum()) / denom
    return out


def hd95_per_class(
    prediction: torch.Tensor, target: torch.Tensor, classes: Sequence[str], spacing: Sequence[float]
) -> dict[str, float | None]:
    """prediction bool [C, D, H, W], target int8 [C, D, H, W] (1/0/-1), voxel ``spacing`` (mm, per axis) ->
    {class: symmetric 95th-percentile Hausdorff distance in mm, or None}.

    MONAI's ``compute_hausdorff_distance`` (Euclidean surface distances, percentile 95, both directions, the larger
    of the two). None when the case does not annotate the class, or when prediction or truth is empty.
    """
    _check_shapes(prediction, target)
    if len(spacing) != prediction.ndim - 1:
        raise ValueError(f"spacing {tuple(spacing)} must give one value per spatial axis of {tuple(prediction.shape[1:])}")
    out: dict[str, float | None] = {}
    for i, name in enumerate(classes):
        t = target[i]
        p, r = prediction[i].bool(), t > 0
        if bool((t < 0).any()) or not bool(p.any()) or not bool(r.any()):
            out[name] = None
            continue
        distance = compute_hausdorff_distance(
            p[None, None], r[None, None], include_background=True, percentile=95, spacing=[float(s) for s in spacing]
        )
        out[name] = float(distance[0, 0])
    return out


def mean_dice(scores: dict[str, float | None]) -> float | None:
    """Mean over the classes with a defined Dice."""
    values = [v for v in scores.values() if v is not None]
    return sum(values) / len(values) if values else None
