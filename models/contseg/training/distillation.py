"""Loss terms of the continual-learning baselines that compare the new model with the frozen old one (LwF, ILT, PLOP).

Each term takes the new model's outputs and the old model's outputs on the same patch; the old outputs carry no
gradient. The new-class part of every baseline is the ordinary ``masked_bce_dice_loss``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ..evaluation.inference import hard_predictions
from .loss import masked_bce_dice_loss

# PLOP: pyramid of regions per axis (1, 2x2x2, 4x4x4) and the base weight of Local POD (method.md, "Baselines").
POD_SCALES = (1, 2, 4)
POD_BASE_WEIGHT = 0.0005


def old_model_targets(old_logits: torch.Tensor) -> torch.Tensor:
    """old_logits [B, C_old, D, H, W] -> int8 [B, C_old, D, H, W]: the old model's hard predictions (sigmoid > 0.5)."""
    return hard_predictions(torch.sigmoid(old_logits.float())).to(torch.int8)


def lwf_old_class_loss(new_old_logits: torch.Tensor, old_logits: torch.Tensor) -> torch.Tensor:
    """LwF: the step's Dice + BCE on the old classes against the old model's hard predictions on the same patch.

    new_old_logits, old_logits [B, C_old, D, H, W] -> scalar.
    """
    return masked_bce_dice_loss(new_old_logits, old_model_targets(old_logits))


def ilt_feature_loss(new_bottleneck: torch.Tensor, old_bottleneck: torch.Tensor) -> torch.Tensor:
    """ILT feature distillation: mean squared error of the bottleneck features [B, 16*fs, d, h, w] -> scalar."""
    if new_bottleneck.shape != old_bottleneck.shape:
        raise ValueError(f"bottlenecks differ: {tuple(new_bottleneck.shape)} vs {tuple(old_bottleneck.shape)}")
    return F.mse_loss(new_bottleneck.float(), old_bottleneck.float())


def ilt_soft_loss(new_old_logits: torch.Tensor, old_logits: torch.Tensor) -> torch.Tensor:
    """ILT output distillation: BCE of the new old-class logits against the old model's sigmoid (soft targets).

    new_old_logits, old_logits [B, C_old, D, H, W] -> scalar (mean over all voxels and classes).
    """
    return F.binary_cross_entropy_with_logits(new_old_logits.float(), torch.sigmoid(old_logits.float()))


def _axis_profiles(region: torch.Tensor) -> list[torch.Tensor]:
    """region [B, C, d, h, w] -> three profiles [B, C*d], [B, C*h], [B, C*w]: the mean over the two other axes
    (the 3-D form of PLOP's width- and height-pooling: depth-, height- and width-wise statistics)."""
    return [region.mean(dim=others).flatten(1) for others in ((3, 4), (2, 4), (2, 3))]


def local_pod_embedding(features: torch.Tensor, scales: Sequence[int] = POD_SCALES) -> torch.Tensor:
    """Local POD of one feature map: features [B, C, D, H, W] -> [B, K].

    At scale s the map is cut into s x s x s regions (``tensor_split``: sizes differ by at most one); each region
    contributes its three axis profiles. Scales larger than the map's smallest side are skipped (a 2^3 bottleneck
    has scales 1 and 2 only), so old and new maps of the same shape always give the same K.
    """
    if features.ndim != 5:
        raise ValueError(f"features must be [B, C, D, H, W], got {tuple(features.shape)}")
    parts: list[torch.Tensor] = []
    for s in scales:
        if s > min(features.shape[2:]):
            continue
        for slab in features.tensor_split(s, dim=2):
            for row in slab.tensor_split(s, dim=3):
                for region in row.tensor_split(s, dim=4):
                    parts += _axis_profiles(region)
    return torch.cat(parts, dim=1)


def local_pod_loss(new_features: Sequence[torch.Tensor], old_features: Sequence[torch.Tensor]) -> torch.Tensor:
    """PLOP's Local POD distillation: per layer, the Frobenius norm of (old - new) embedding per batch item, averaged
    over the batch; then averaged over layers. Each sequence holds the same layers' maps [B, C_l, D_l, H_l, W_l]."""
    if len(new_features) != len(old_features) or not new_features:
        raise ValueError(f"need the same non-empty layers, got {len(new_features)} new and {len(old_features)} old")
    per_layer = [
        torch.linalg.vector_norm(local_pod_embedding(n.float()) - local_pod_embedding(o.float()), dim=1).mean()
        for n, o in zip(new_features, old_features)
    ]
    return torch.stack(per_layer).mean()


def plop_weight(classes_so_far: int, new_classes: int) -> float:
    """Local POD weight: 0.0005 * sqrt(classes so far (old + new) / new classes)."""
    if new_classes <= 0 or classes_so_far < new_classes:
        raise ValueError(f"need 0 < new classes <= classes so far, got {new_classes} of {classes_so_far}")
    return POD_BASE_WEIGHT * math.sqrt(classes_so_far / new_classes)
