"""Hounsfield image from the tissue map: per-tissue means, parenchymal texture, scanner blur and noise."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

HU_MIN = -1024
HU_MAX = 3071


def _unit_noise(rng: np.random.Generator, shape: tuple[int, ...], sigma_voxels: tuple[float, ...]) -> np.ndarray:
    """Gaussian-smoothed white noise rescaled to unit standard deviation: float32 [shape]."""
    noise = rng.standard_normal(shape, dtype=np.float32)
    smooth = gaussian_filter(noise, sigma_voxels, mode="reflect")
    spread = smooth.std()
    if spread > 0:  # zero only for a single voxel
        smooth /= spread
    return smooth


def synthesize_hu(
    tissue: np.ndarray,
    means: np.ndarray,
    texture: np.ndarray,
    spacing: tuple[float, float, float],
    rng: np.random.Generator,
) -> np.ndarray:
    """HU image for a tissue map.

    tissue: uint8 [X, Y, Z] tissue codes; means, texture: float32 [256] HU mean and texture amplitude per code.
    Texture is smooth noise (2 mm correlation) scaled per tissue; the sum is blurred by a scanner point-spread
    function (0.45 voxel in-plane, 0.5 voxel along z, which also gives partial-volume edges); then correlated
    quantum noise of 6-14 HU is added. Returns int16 [X, Y, Z] clipped to [-1024, 3071].
    """
    texture_sigma = tuple(2.0 / s for s in spacing)
    image = means[tissue]
    image += texture[tissue] * _unit_noise(rng, tissue.shape, texture_sigma)
    image = gaussian_filter(image, (0.45, 0.45, 0.5), mode="nearest")
    image += np.float32(rng.uniform(6.0, 14.0)) * _unit_noise(rng, tissue.shape, (0.6, 0.6, 0.0))
    np.rint(image, out=image)
    np.clip(image, HU_MIN, HU_MAX, out=image)
    return image.astype(np.int16)
