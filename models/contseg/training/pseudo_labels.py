"""Old-class supervision in a continual step (Eq. 3): the previous model's hard predictions, new-class ground
truth written over them."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..data.targets import NOT_ANNOTATED
from ..evaluation.inference import hard_predictions, predict_probabilities
from ..network.embeddings import load_catalogue
from ..network.segmenter import ContinualSegmenter


def pseudo_labels(
    previous: ContinualSegmenter, image: torch.Tensor, patch: Sequence[int], overlap: float, padding: str = "constant"
) -> torch.Tensor:
    """The previous model's hard predictions for all its classes: image [1, D, H, W] -> bool [C_old, D, H, W]."""
    return hard_predictions(predict_probabilities(previous, image, patch, overlap=overlap, padding=padding)).cpu()


def compose_step_target(
    old_classes: Sequence[str],
    old_labels: torch.Tensor | None,
    new_classes: Sequence[str],
    new_truth: torch.Tensor,
) -> torch.Tensor:
    """Target int8 [C_old + C_new, D, H, W] in model channel order (old classes first).

    Args:
        old_labels: bool/int [C_old, D, H, W] pseudo labels, or None to leave old classes unsupervised (-1).
        new_truth: int8 [C_new, D, H, W] ground truth (1/0, or -1 where the dataset does not annotate the class).

    Where a new class is positive its ground truth wins over the pseudo labels (Eq. 3): every old class is set to 0
    there, except the organ the new class is ``partOf`` (a liver tumour voxel stays liver), which is set to 1.
    """
    if new_truth.shape[0] != len(new_classes):
        raise ValueError(f"new_truth has {new_truth.shape[0]} channels for {len(new_classes)} new classes")
    spatial = new_truth.shape[1:]
    if old_labels is None:
        old = torch.full((len(old_classes), *spatial), NOT_ANNOTATED, dtype=torch.int8)
    else:
        if old_labels.shape != (len(old_classes), *spatial):
            raise ValueError(f"pseudo labels {tuple(old_labels.shape)} do not match {len(old_classes)} x {tuple(spatial)}")
        old = old_labels.to(torch.int8).clone()
        catalogue = load_catalogue()
        for j, name in enumerate(new_classes):
            positive = new_truth[j] > 0
            parent = catalogue[name].part_of if name in catalogue else None
            for i, old_name in enumerate(old_classes):
                old[i][positive] = 1 if old_name == parent else 0
    return torch.cat([old, new_truth.to(torch.int8)], dim=0)
