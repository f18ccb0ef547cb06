"""What a dataset hands to training and evaluation: one CT case with its native label map and class map."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

# class name (catalogue) -> the native label values that mark it in this case's label map
ClassMap = Mapping[str, tuple[int, ...]]


@dataclass(frozen=True, eq=False)
class RawCase:
    """A CT case as stored: image [1, X, Y, Z] float32 Hounsfield units and label [1, X, Y, Z] integer native labels,
    both MONAI MetaTensors carrying their voxel -> RAS affine; ``class_map`` says which classes the labels annotate."""

    case_id: str
    image: torch.Tensor
    label: torch.Tensor
    class_map: ClassMap

    @property
    def annotated_classes(self) -> tuple[str, ...]:
        """Classes this case's label map annotates."""
        return tuple(self.class_map)


@dataclass(frozen=True, eq=False)
class PreparedCase:
    """A case after the deterministic pre-processing (RAS, resampled, windowed to [0, 1], cropped to foreground):
    image [1, D, H, W] float32 in [0, 1], label [1, D, H, W] int16 native labels on the same grid."""

    case_id: str
    image: torch.Tensor
    label: torch.Tensor
    class_map: ClassMap
