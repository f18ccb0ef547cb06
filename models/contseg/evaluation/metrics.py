"""Dice and HD95 per class, skipping classes a case does not annotate (target -1).

Undefined values are None, never a number that would bias a mean: Dice when truth and prediction are both empty;
HD95 when truth or prediction is empty (no surface to measure from; the case's Dice, 0 or undefined, carries it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy.spatial import cKDTree


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


@dataclass(frozen=True)
class Surface:
    """A mask's surface voxels: ``points`` float64 [N, 3] (voxel index times spacing, mm), ``tree`` a KD-tree over
    them."""

    points: np.ndarray
    tree: cKDTree


def surface_voxels(mask: np.ndarray) -> np.ndarray:
    """bool [D, H, W] -> bool [D, H, W]: the mask's voxels with at least one of their 6 face neighbours outside it,
    the outside of the volume counting as background.

    This is MONAI's edge (``get_mask_edges`` without subvoxels): ``binary_erosion(mask) ^ mask`` with scipy's default
    cross structure and ``border_value=0``, on the foreground box grown by one voxel and zero-padded past the volume's
    border, which changes no edge. Spelled as six shifted ANDs: several times faster than scipy's erosion.
    """
    padded = np.pad(mask, 1)
    core = [slice(1, n + 1) for n in mask.shape]
    interior = mask.copy()
    for axis, n in enumerate(mask.shape):
        for start in (0, 2):  # the neighbour before, then after, along ``axis``
            window = core.copy()
            window[axis] = slice(start, start + n)
            interior &= padded[tuple(window)]
    return mask & ~interior


def surface(mask: np.ndarray, spacing: Sequence[float]) -> Surface:
    """bool [D, H, W] with at least one voxel set, ``spacing`` (mm per axis) -> its Surface."""
    edges = surface_voxels(mask)
    # flatnonzero + unravel_index: several times faster than argwhere on a full volume
    index = np.stack(np.unravel_index(np.flatnonzero(edges), edges.shape), axis=1)
    points = index * np.asarray(spacing, dtype=np.float64)
    return Surface(points, cKDTree(points, leafsize=32))  # MONAI's leaf size; faster than the default 16 here


def hd95(prediction: Surface, truth: Surface) -> float:
    """Symmetric 95th-percentile Hausdorff distance (mm) between two surfaces: per direction the distance of every
    surface voxel to the other surface's nearest, its 95th percentile with linear interpolation (``torch.quantile``
    in MONAI), the larger of the two directions."""
    to_truth = truth.tree.query(prediction.points)[0]
    to_prediction = prediction.tree.query(truth.points)[0]
    return float(max(np.percentile(to_truth, 95), np.percentile(to_prediction, 95)))


def hd95_per_class_many(
    predictions: Sequence[torch.Tensor], target: torch.Tensor, classes: Sequence[str], spacing: Sequence[float]
) -> list[dict[str, float | None]]:
    """Several predictions, each bool [C, D, H, W], against one target int8 [C, D, H, W] (1/0/-1), voxel ``spacing``
    (mm, per axis) -> per prediction {class: symmetric 95th-percentile Hausdorff distance in mm, or None}.

    Equal to MONAI's ``compute_hausdorff_distance`` (Euclidean, percentile 95, not directed, with ``spacing``) up to
    float32 rounding, by KD-tree queries between surface voxels; each class's truth surface is built once and shared
    by every prediction. None when the case does not annotate the class, or when prediction or truth is empty.
    """
    for prediction in predictions:
        _check_shapes(prediction, target)
    if len(spacing) != target.ndim - 1:
        raise ValueError(f"spacing {tuple(spacing)} must give one value per spatial axis of {tuple(target.shape[1:])}")
    arrays = [p.detach().cpu().numpy().astype(bool, copy=False) for p in predictions]
    labels = target.detach().cpu().numpy()
    out: list[dict[str, float | None]] = [{} for _ in predictions]
    for i, name in enumerate(classes):
        truth = labels[i] > 0
        scorable = not (labels[i] < 0).any() and truth.any()
        truth_surface = surface(truth, spacing) if scorable else None
        for scores, array in zip(out, arrays):
            p = array[i]
            scores[name] = hd95(surface(p, spacing), truth_surface) if truth_surface is not None and p.any() else None
    return out


def hd95_per_class(
    prediction: torch.Tensor, target: torch.Tensor, classes: Sequence[str], spacing: Sequence[float]
) -> dict[str, float | None]:
    """``hd95_per_class_many`` for one prediction bool [C, D, H, W] -> {class: HD95 in mm, or None}."""
    return hd95_per_class_many([prediction], target, classes, spacing)[0]


def mean_dice(scores: dict[str, float | None]) -> float | None:
    """Mean over the classes with a defined Dice."""
    values = [v for v in scores.values() if v is not None]
    return sum(values) / len(values) if values else None
