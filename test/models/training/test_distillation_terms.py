"""The baselines' loss terms (LwF, ILT, PLOP) against hand-computed or independent references on small tensors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from contseg.training import masked_bce_dice_loss
from contseg.training.distillation import (
    ilt_feature_loss,
    ilt_soft_loss,
    local_pod_embedding,
    local_pod_loss,
    lwf_old_class_loss,
    old_model_targets,
    plop_weight,
)


def _ramp(size: int = 4) -> torch.Tensor:
    """x[d, h, w] = 100 d + 10 h + w as [1, 1, size, size, size]."""
    d, h, w = np.meshgrid(*[np.arange(size)] * 3, indexing="ij")
    return torch.tensor(100.0 * d + 10.0 * h + w, dtype=torch.float32)[None, None]


def test_local_pod_of_a_known_ramp_gives_the_hand_computed_axis_profiles() -> None:
    emb = local_pod_embedding(_ramp())[0]
    # scale 1 (whole map): depth profile 100 d + 10*1.5 + 1.5, height profile 150 + 10 h + 1.5, width 150 + 15 + w
    assert emb[:12].tolist() == [16.5, 116.5, 216.5, 316.5, 151.5, 161.5, 171.5, 181.5, 165.0, 166.0, 167.0, 168.0]
    # scale 2, first region (d, h, w in 0..1): depth profile 100 d + 5 + 0.5, height 50 + 10 h + 0.5, width 55 + w
    assert emb[12:18].tolist() == [5.5, 105.5, 50.5, 60.5, 55.0, 56.0]
    # 12 + 8 regions x 3 profiles x 2 + 64 voxels x 3 profiles x 1
    assert emb.numel() == 12 + 48 + 192
    # scale 4: every region is one voxel, whose three profiles are its value; the last voxel is 333
    assert emb[-3:].tolist() == [333.0, 333.0, 333.0]


def _reference_pod(x: np.ndarray, scales: tuple[int, ...] = (1, 2, 4)) -> np.ndarray:
    """Independent loop form: for each scale, each region in (d, h, w) order, its depth/height/width profiles."""
    out: list[np.ndarray] = []
    for s in scales:
        if s > min(x.shape[1:]):
            continue
        cuts = [np.array_split(np.arange(n), s) for n in x.shape[1:]]
        for di, hi, wi in itertools.product(*cuts):
            region = x[:, di][:, :, hi][:, :, :, wi]  # [C, d, h, w]
            out += [region.mean(axis=(2, 3)).ravel(), region.mean(axis=(1, 3)).ravel(), region.mean(axis=(1, 2)).ravel()]
    return np.concatenate(out)


def test_local_pod_matches_an_independent_loop_on_uneven_multichannel_maps_and_skips_too_large_scales() -> None:
    x = torch.randn(2, 3, 5, 3, 6, generator=torch.Generator().manual_seed(1))
    emb = local_pod_embedding(x)
    for b in range(2):
        np.testing.assert_allclose(emb[b].numpy(), _reference_pod(x[b].numpy()), rtol=1e-5, atol=1e-6)
    # smallest side 3: scale 4 is skipped, so the embedding holds scales 1 and 2 only
    assert emb.shape[1] == _reference_pod(x[0].numpy(), (1, 2)).size


def test_local_pod_loss_is_the_frobenius_norm_of_the_difference_averaged_over_layers() -> None:
    a, b = _ramp(), torch.randn(1, 2, 4, 4, 4, generator=torch.Generator().manual_seed(2))
    k = local_pod_embedding(a).shape[1]
    # shifting a map by c shifts every pooled statistic by c: the norm is c sqrt(K); the unchanged layer adds 0
    loss = local_pod_loss([a + 0.5, b], [a, b])
    assert loss.item() == pytest.approx(0.5 * math.sqrt(k) / 2, rel=1e-5)
    assert local_pod_loss([a, b], [a, b]).item() == 0.0
    with pytest.raises(ValueError, match="same non-empty layers"):
        local_pod_loss([a], [a, b])


def test_plop_weight_is_0_0005_times_sqrt_of_classes_so_far_over_new_classes() -> None:
    assert plop_weight(14, 1) == pytest.approx(0.0005 * math.sqrt(14))  # BTCV 13 organs -> LiTS tumour
    assert plop_weight(10, 3) == pytest.approx(0.0005 * math.sqrt(10 / 3))  # JHH 7 -> 3 GI tract
    assert plop_weight(4, 4) == pytest.approx(0.0005)
    with pytest.raises(ValueError):
        plop_weight(3, 0)


def test_ilt_feature_loss_is_the_mean_squared_difference_of_the_bottlenecks() -> None:
    new = torch.zeros(1, 2, 2, 2, 2)
    old = torch.zeros(1, 2, 2, 2, 2)
    old[0, 0] = 2.0  # half the 16 values differ by 2 -> mean of squares = 8 * 4 / 16
    assert ilt_feature_loss(new, old).item() == pytest.approx(2.0)
    with pytest.raises(ValueError, match="bottlenecks differ"):
        ilt_feature_loss(new, old[:, :1])


def test_ilt_soft_loss_is_bce_against_the_old_models_sigmoid() -> None:
    new = torch.tensor([0.0, 2.0, -1.0]).view(1, 1, 3, 1, 1)
    old = torch.tensor([1.0, -3.0, 0.0]).view(1, 1, 3, 1, 1)
    p = 1 / (1 + np.exp(-old.numpy().ravel()))
    q = 1 / (1 + np.exp(-new.numpy().ravel()))
    expected = float(np.mean(-(p * np.log(q) + (1 - p) * np.log(1 - q))))
    assert ilt_soft_loss(new, old).item() == pytest.approx(expected, rel=1e-6)


def test_lwf_old_class_targets_are_the_old_models_hard_predictions() -> None:
    old = torch.tensor([3.0, -0.1, 0.2, -5.0]).view(1, 1, 4, 1, 1)
    assert old_model_targets(old).ravel().tolist() == [1, 0, 1, 0]
    new = torch.randn(1, 1, 4, 1, 1, generator=torch.Generator().manual_seed(3))
    hand = torch.tensor([1, 0, 1, 0], dtype=torch.int8).view(1, 1, 4, 1, 1)
    assert lwf_old_class_loss(new, old).item() == pytest.approx(masked_bce_dice_loss(new, hand).item(), rel=1e-6)
