"""Random training patches (the paper's augmentation): pad, crop by label pos:neg 2:1, RandRotate90, intensity shift;
optionally thin axial slabs (not in the paper) so that a series of a few slices is segmented too."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import torch
from monai.transforms import (
    Compose,
    MapTransform,
    RandCropByPosNegLabeld,
    RandomizableTransform,
    RandRotate90d,
    RandShiftIntensityd,
    SpatialPadd,
)

# A thin slab keeps this many axial slices at least / at most (at 3 mm: 9 mm to 120 mm of a series).
SLAB_SLICES = (3, 40)


class RandAxialSlabd(RandomizableTransform, MapTransform):
    """With probability ``prob``, keep a random run of axial slices (the last axis: z in RAS) and blank the rest.

    At inference a thin series (20 slices of 2 mm are 13 slices at 3 mm) is padded by the sliding window with zeros
    (the bottom of the HU window) up to the patch depth; a model trained on whole volumes only has never seen that and
    segments nothing. This makes training patches look the same: outside the slab the image becomes ``pad_value`` and
    every other key (target, foreground) becomes 0, as no anatomy is there.
    """

    def __init__(
        self, keys: Sequence[str], image_key: str, prob: float, slices: tuple[int, int] = SLAB_SLICES, pad_value: float = 0.0
    ) -> None:
        RandomizableTransform.__init__(self, prob)
        MapTransform.__init__(self, keys)
        if not 1 <= slices[0] <= slices[1]:
            raise ValueError(f"slab slices must satisfy 1 <= min <= max, got {slices}")
        self.image_key, self.slices, self.pad_value = image_key, slices, pad_value
        self._kept = (0, 0)

    def randomize(self, depth: int) -> None:  # type: ignore[override]
        super().randomize(None)
        if not self._do_transform:
            return
        count = int(self.R.randint(self.slices[0], min(self.slices[1], depth) + 1))
        start = int(self.R.randint(0, depth - count + 1))
        self._kept = (start, start + count)

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict[Hashable, torch.Tensor]:
        """{key: [C, X, Y, Z]} -> the same with slices outside the kept run blanked (on a copy)."""
        d = dict(data)
        self.randomize(int(d[self.image_key].shape[-1]))
        if not self._do_transform:
            return d
        start, stop = self._kept
        for key in self.key_iterator(d):
            x = d[key].clone()
            fill = self.pad_value if key == self.image_key else 0
            x[..., :start] = fill
            x[..., stop:] = fill
            d[key] = x
        return d


def patch_transform(patch: Sequence[int], thin_slab_prob: float = 0.0) -> Compose:
    """MONAI dict transform over {"image" [1,D,H,W], "target" int8 [C,D,H,W], "foreground" [1,D,H,W]} -> one patch.

    Returns a list of one dict (RandCropByPosNegLabeld's num_samples=1) with image [1,P,P,P] and target [C,P,P,P].
    ``thin_slab_prob`` > 0 adds ``RandAxialSlabd`` at the end.
    """
    size = tuple(int(p) for p in patch)
    keys = ["image", "target", "foreground"]
    slab = [RandAxialSlabd(keys, image_key="image", prob=thin_slab_prob)] if thin_slab_prob > 0 else []
    return Compose(
        [
            SpatialPadd(keys=keys, spatial_size=size),
            RandCropByPosNegLabeld(
                keys=keys, label_key="foreground", spatial_size=size, pos=2, neg=1, num_samples=1, image_key="image",
                image_threshold=0.0, allow_smaller=False,
            ),
            RandRotate90d(keys=keys, prob=0.1, max_k=3, spatial_axes=(0, 1)),
            RandShiftIntensityd(keys="image", offsets=0.1, prob=0.2),
            *slab,  # last, so the blanked slices hold exactly the sliding window's pad value
        ]
    )


def foreground_of(target: torch.Tensor) -> torch.Tensor:
    """target int8 [C, D, H, W] -> [1, D, H, W] uint8: voxels positive for any class (positive crop centres)."""
    return (target > 0).any(dim=0, keepdim=True).to(torch.uint8)
