"""The paper's deterministic pre-processing (training and inference): RAS, resample, HU window to [0, 1], crop."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from monai.transforms import Compose, CropForegroundd, Orientationd, ScaleIntensityRanged, Spacingd

from .cases import PreparedCase, RawCase

HU_WINDOW: tuple[float, float] = (-175.0, 250.0)
# A CT always shows air (about -1000 HU) around or inside the body; other modalities do not.
_MIN_AIR_HU = -500.0


def check_ct(image: torch.Tensor, case_id: str) -> None:
    """Refuse an input that is not CT in Hounsfield units (e.g. an MR volume), naming the case."""
    values = torch.as_tensor(image).float().flatten()
    low = float(values.min())
    if low > _MIN_AIR_HU or float(values.max()) < 0.0:
        raise ValueError(
            f"{case_id}: intensities {low:.0f}..{float(values.max()):.0f} do not look like CT Hounsfield units "
            f"(no air below {_MIN_AIR_HU:.0f} HU); is this an MR or an already normalised image?"
        )


def preprocess_transform(spacing: Sequence[float], keys: Sequence[str] = ("image", "label")) -> Compose:
    """MONAI dict transform: Orientation RAS, Spacing (image bilinear, labels nearest), window, crop foreground."""
    modes = ["bilinear"] + ["nearest"] * (len(keys) - 1)
    return Compose(
        [
            Orientationd(keys=list(keys), axcodes="RAS", labels=(("L", "R"), ("P", "A"), ("I", "S"))),
            Spacingd(keys=list(keys), pixdim=tuple(float(s) for s in spacing), mode=modes),
            ScaleIntensityRanged(keys="image", a_min=HU_WINDOW[0], a_max=HU_WINDOW[1], b_min=0.0, b_max=1.0, clip=True),
            CropForegroundd(keys=list(keys), source_key="image", allow_smaller=True),
        ]
    )


def preprocess_case(case: RawCase, spacing: Sequence[float]) -> PreparedCase:
    """RawCase (HU, native grid) -> PreparedCase (image [1, D, H, W] in [0, 1], label int16, same RAS grid)."""
    check_ct(case.image, case.case_id)
    if tuple(case.image.shape) != tuple(case.label.shape):
        raise ValueError(f"{case.case_id}: image {tuple(case.image.shape)} and label {tuple(case.label.shape)} differ")
    affine_i = np.asarray(case.image.affine)
    affine_l = np.asarray(case.label.affine)
    if not np.allclose(affine_i, affine_l, atol=1e-3):
        raise ValueError(f"{case.case_id}: image and label affines differ; resample the label onto the image first")
    out = preprocess_transform(spacing)({"image": case.image.float(), "label": case.label.float()})
    return PreparedCase(
        case_id=case.case_id,
        image=out["image"].float(),
        label=out["label"].round().to(torch.int16),
        class_map=case.class_map,
    )
