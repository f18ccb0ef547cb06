"""HD95 per class: millimetres from the voxel spacing per axis, the 95th percentile (not the maximum), None where
undefined (not annotated, prediction or truth empty); equal to MONAI's ``compute_hausdorff_distance`` on blobs, noise,
the volume's border, anisotropic grids and single voxels; one truth surface per class for several predictions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.metrics import compute_hausdorff_distance
from scipy import ndimage

from contseg.evaluation import metrics
from contseg.evaluation.metrics import hd95_per_class, hd95_per_class_many


def test_hd95_scales_each_axis_by_its_own_spacing() -> None:
    pred = torch.zeros(1, 9, 9, 9, dtype=torch.bool)
    target = torch.zeros(1, 9, 9, 9, dtype=torch.int8)
    target[0, 4, 4, 1] = 1
    pred[0, 4, 4, 4] = True  # 3 voxels apart along the last axis
    assert hd95_per_class(pred, target, ["a"], (1.0, 1.0, 2.0)) == {"a": pytest.approx(6.0)}
    assert hd95_per_class(pred, target, ["a"], (2.0, 2.0, 1.0)) == {"a": pytest.approx(3.0)}


def test_hd95_is_the_95th_percentile_of_surface_distances_not_the_maximum() -> None:
    # truth: one voxel; prediction: a line of 20 voxels at distances 1..20 from it. Prediction -> truth distances are
    # 1..20 (95th percentile, linear interpolation: 1 + 0.95 * 19 = 19.05); truth -> prediction is 1; the larger wins.
    pred = torch.zeros(1, 30, 5, 5, dtype=torch.bool)
    target = torch.zeros(1, 30, 5, 5, dtype=torch.int8)
    target[0, 2, 2, 2] = 1
    pred[0, 3:23, 2, 2] = True
    assert hd95_per_class(pred, target, ["a"], (1.0, 1.0, 1.0))["a"] == pytest.approx(19.05)


def test_hd95_is_none_when_not_annotated_or_either_mask_is_empty() -> None:
    pred = torch.zeros(4, 6, 6, 6, dtype=torch.bool)
    target = torch.zeros(4, 6, 6, 6, dtype=torch.int8)
    pred[0, 1:3, 1:3, 1:3] = True
    target[0, 1:3, 1:3, 1:3] = 1  # a: identical -> 0 mm
    target[1] = -1  # b: not annotated
    pred[2, 2, 2, 2] = True  # c: truth empty
    target[3, 2, 2, 2] = 1  # d: prediction empty
    assert hd95_per_class(pred, target, ["a", "b", "c", "d"], (1.5, 1.5, 1.5)) == {"a": 0.0, "b": None, "c": None, "d": None}


def test_hd95_refuses_a_spacing_that_does_not_match_the_grid() -> None:
    with pytest.raises(ValueError, match=r"spacing \(1.0, 1.0\) must give one value per spatial axis"):
        hd95_per_class(torch.zeros(1, 4, 4, 4, dtype=torch.bool), torch.zeros(1, 4, 4, 4, dtype=torch.int8), ["a"], (1.0, 1.0))


def _monai_hd95(prediction: np.ndarray, truth: np.ndarray, spacing: tuple[float, ...]) -> float:
    """bool [D, H, W] x 2 -> MONAI's symmetric HD95 in mm, called as the metric was before it was replaced."""
    p, t = (torch.from_numpy(mask)[None, None] for mask in (prediction, truth))
    value = compute_hausdorff_distance(p, t, include_background=True, percentile=95, spacing=list(spacing))
    return float(value[0, 0])


def _assert_matches_monai(predictions: np.ndarray, truths: np.ndarray, spacing: tuple[float, ...]) -> None:
    """predictions, truths bool [C, D, H, W], every mask non-empty: each class's HD95 equals MONAI's to 1e-4 relative."""
    names = [str(c) for c in range(len(truths))]
    ours = hd95_per_class(torch.from_numpy(predictions), torch.from_numpy(truths.astype(np.int8)), names, spacing)
    expected = {name: _monai_hd95(p, t, spacing) for name, p, t in zip(names, predictions, truths)}
    assert ours == {name: pytest.approx(value, rel=1e-4) for name, value in expected.items()}


def _blobs(rng: np.random.Generator, count: int, shape: tuple[int, ...], smoothing: float) -> np.ndarray:
    """bool [count, *shape]: smoothed noise above its 80th percentile, irregular organ-like blobs, often several."""
    fields = [ndimage.gaussian_filter(rng.standard_normal(shape), smoothing) for _ in range(count)]
    return np.stack([f > np.percentile(f, 80) for f in fields])


def test_hd95_equals_monai_on_random_blobs() -> None:
    """Irregular, multi-component organ-like masks give MONAI's value: the surface, both directions and the
    percentile are the same computation, not just close on simple shapes."""
    rng = np.random.default_rng(0)
    shape = (24, 20, 22)
    _assert_matches_monai(_blobs(rng, 6, shape, 3.0), _blobs(rng, 6, shape, 3.0), (1.0, 1.0, 1.0))


def test_hd95_equals_monai_on_noisy_predictions() -> None:
    """A blob plus 2% scattered false-positive voxels (the raw network output this metric mostly scores): each isolated
    voxel is a surface voxel of its own, far from the truth, and counts in the percentile as in MONAI."""
    rng = np.random.default_rng(1)
    shape = (28, 24, 24)
    truths = _blobs(rng, 5, shape, 3.0)
    predictions = ndimage.binary_dilation(truths, structure=np.ones((1, 3, 3, 3), bool)) | (rng.random(truths.shape) < 0.02)
    _assert_matches_monai(predictions, truths, (1.5, 1.0, 1.0))


def test_hd95_equals_monai_on_masks_touching_the_volume_border() -> None:
    """Voxels on the volume's faces are surface voxels (the outside counts as background), as MONAI's cropping,
    padding and erosion make them: the whole volume, a slab on one face, a corner voxel, a face-filling blob."""
    shape = (10, 12, 14)
    whole = np.ones(shape, bool)
    slab = np.zeros(shape, bool)
    slab[:3] = True
    corner = np.zeros(shape, bool)
    corner[-1, -1, -1] = True
    blob = _blobs(np.random.default_rng(2), 1, shape, 2.0)[0]
    blob[:, :, 0] = True
    predictions = np.stack([whole, slab, corner, blob, slab])
    truths = np.stack([slab, whole, whole, whole, corner])
    _assert_matches_monai(predictions, truths, (2.0, 1.0, 0.5))


def test_hd95_equals_monai_with_anisotropic_spacing() -> None:
    """CT-like (3.0, 0.8, 0.8) mm voxels: every axis is scaled by its own spacing before distances are taken, so
    thin-slice and in-plane errors weigh as MONAI weighs them."""
    rng = np.random.default_rng(3)
    shape = (16, 30, 30)
    truths = _blobs(rng, 4, shape, 2.5)
    predictions = np.roll(truths, (1, -2, 3), axis=(1, 2, 3)) | (rng.random(truths.shape) < 0.005)
    _assert_matches_monai(predictions, truths, (3.0, 0.8, 0.8))


def test_hd95_equals_monai_on_single_voxel_masks() -> None:
    """One voxel is its own whole surface: against another voxel, against itself (0 mm) and against a blob."""
    shape = (9, 10, 11)
    voxel = np.zeros(shape, bool)
    voxel[4, 5, 6] = True
    other = np.zeros(shape, bool)
    other[0, 9, 0] = True
    blob = np.zeros(shape, bool)
    blob[2:7, 3:8, 1:9] = True
    _assert_matches_monai(np.stack([voxel, voxel, voxel, blob]), np.stack([other, voxel, blob, voxel]), (3.0, 0.8, 0.8))


def test_hd95_for_several_predictions_builds_each_truth_surface_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scoring raw and post-processed masks together (as ``score_case`` does) extracts each class's truth surface once,
    not once per prediction, and gives each prediction the value it gets alone."""
    rng = np.random.default_rng(4)
    truths = _blobs(rng, 3, (12, 12, 12), 2.0)
    target = torch.from_numpy(truths.astype(np.int8))
    post = ndimage.binary_dilation(truths, structure=np.ones((1, 3, 3, 3), bool))
    raw = post | (rng.random(truths.shape) < 0.05)
    predictions = [torch.from_numpy(raw), torch.from_numpy(post)]
    classes, spacing = ["a", "b", "c"], (2.0, 1.0, 1.0)
    alone = [hd95_per_class(p, target, classes, spacing) for p in predictions]
    masks: list[np.ndarray] = []
    extract = metrics.surface

    def counting_surface(mask: np.ndarray, spacing: tuple[float, ...]) -> metrics.Surface:
        masks.append(mask)
        return extract(mask, spacing)

    monkeypatch.setattr(metrics, "surface", counting_surface)
    assert hd95_per_class_many(predictions, target, classes, spacing) == alone
    assert len(masks) == len(classes) * (1 + len(predictions))
    assert sum(np.array_equal(mask, truth) for mask in masks for truth in truths) == len(classes)
