"""Dice per class, skipping classes a case does not annotate (target -1)."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def dice_per_class(prediction: torch.Tensor, target: torch.Tensor, classes: Sequence[str]) -> dict[str, float | None]:
    """prediction bool [C, D, H, W], target int8 [C, D, H, W] (1/0/-1) -> {class: Dice or None}.

    None when the case does not annotate the class (any -1) or when both prediction and reference are empty
    (Dice undefined; reported, not averaged).
    """
    if prediction.shape != target.shape:
        raise ValueError(f"prediction {tuple(prediction.shape)} and target {tuple(target.shape)} differ")
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


def mean_dice(scores: dict[str, float | None]) -> float | None:
    """Mean over the classes with a defined Dice."""
    values = [v for v in scores.values() if v is not None]
    return sum(values) / len(values) if values else None
