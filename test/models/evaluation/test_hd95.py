"""HD95 per class: millimetres from the voxel spacing per axis, the 95th percentile (not the maximum), None where
undefined (not annotated, prediction or truth empty)."""

from __future__ import annotations

import pytest
import torch

from contseg.evaluation.metrics import hd95_per_class


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
