"""Random training patches (the paper's augmentation): pad, crop by label pos:neg 2:1, RandRotate90, intensity shift."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from monai.transforms import Compose, RandCropByPosNegLabeld, RandRotate90d, RandShiftIntensityd, SpatialPadd


def patch_transform(patch: Sequence[int]) -> Compose:
    """MONAI dict transform over {"image" [1,D,H,W], "target" int8 [C,D,H,W], "foreground" [1,D,H,W]} -> one patch.

    Returns a list of one dict (RandCropByPosNegLabeld's num_samples=1) with image [1,P,P,P] and target [C,P,P,P].
    """
    size = tuple(int(p) for p in patch)
    keys = ["image", "target", "foreground"]
    return Compose(
        [
            SpatialPadd(keys=keys, spatial_size=size),
            RandCropByPosNegLabeld(
                keys=keys, label_key="foreground", spatial_size=size, pos=2, neg=1, num_samples=1, image_key="image",
                image_threshold=0.0, allow_smaller=False,
            ),
            RandRotate90d(keys=keys, prob=0.1, max_k=3, spatial_axes=(0, 1)),
            RandShiftIntensityd(keys="image", offsets=0.1, prob=0.2),
        ]
    )


def foreground_of(target: torch.Tensor) -> torch.Tensor:
    """target int8 [C, D, H, W] -> [1, D, H, W] uint8: voxels positive for any class (positive crop centres)."""
    return (target > 0).any(dim=0, keepdim=True).to(torch.uint8)
