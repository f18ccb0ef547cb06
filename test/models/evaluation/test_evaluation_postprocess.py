"""Post-processing and Dice: largest component per organ, tumour only inside its organ, -1 classes skipped."""

from __future__ import annotations

import torch

from contseg.evaluation import dice_per_class, largest_component, mean_dice, postprocess


def test_largest_component_drops_the_smaller_island() -> None:
    mask = torch.zeros(8, 8, 8, dtype=torch.bool)
    mask[0:3, 0:3, 0:3] = True  # 27 voxels
    mask[6, 6, 6] = True  # a 1-voxel island
    kept = largest_component(mask.numpy())
    assert kept.sum() == 27 and not kept[6, 6, 6]


def test_tumour_is_kept_only_inside_the_post_processed_liver_and_not_reduced_to_one_lesion() -> None:
    masks = torch.zeros(2, 10, 10, 10, dtype=torch.bool)  # liver, liver tumour
    masks[0, 0:6, 0:6, 0:6] = True
    masks[0, 9, 9, 9] = True  # a stray liver voxel, removed
    masks[1, 1, 1, 1] = masks[1, 4, 4, 4] = True  # two lesions inside the liver, both kept
    masks[1, 9, 9, 9] = True  # a "lesion" on the stray voxel: outside the kept liver, removed
    masks[1, 8, 0, 0] = True  # outside any liver, removed
    out = postprocess(masks, ["liver", "liver tumour"])
    assert int(out[0].sum()) == 216 and not out[0, 9, 9, 9]
    assert out[1].nonzero().tolist() == [[1, 1, 1], [4, 4, 4]]


def test_dice_skips_unannotated_and_empty_classes() -> None:
    pred = torch.zeros(3, 2, 2, 2, dtype=torch.bool)
    pred[0, 0] = True  # 4 voxels
    target = torch.zeros(3, 2, 2, 2, dtype=torch.int8)
    target[0, :, 0] = 1  # 4 voxels, 2 shared
    target[1] = -1
    scores = dice_per_class(pred, target, ["a", "b", "c"])
    assert scores == {"a": 0.5, "b": None, "c": None}
    assert mean_dice(scores) == 0.5
