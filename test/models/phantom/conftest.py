"""Shared small phantoms (96 x 96 x 48 voxels of 4 x 3.5 x 6.5 mm: the whole abdomen, coarsely) for the tests."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from contseg.phantom import Phantom, generate_phantom, write_dicom_series, write_nifti

SMALL_SHAPE = (96, 96, 48)
SMALL_SPACING = (4.0, 3.5, 6.5)


@cache
def _small(seed: int, phase: str | None) -> Phantom:
    return generate_phantom(seed, SMALL_SHAPE, SMALL_SPACING, phase)


@pytest.fixture(scope="session")
def small_geometry() -> tuple[tuple[int, int, int], tuple[float, float, float]]:
    """(shape, spacing) of the small test phantoms."""
    return SMALL_SHAPE, SMALL_SPACING


@pytest.fixture(scope="session")
def small_phantom() -> Callable[..., Phantom]:
    """small_phantom(seed, phase=None): a cached small phantom (do not modify its arrays)."""
    return lambda seed, phase=None: _small(seed, phase)


@pytest.fixture(scope="session")
def written_phantom(tmp_path_factory: pytest.TempPathFactory) -> tuple[Phantom, Path]:
    """Seed 7 written to a folder: image.nii.gz, labels.nii.gz and dicom/IM0001.dcm ..."""
    phantom = _small(7, None)
    folder = tmp_path_factory.mktemp("phantom7")
    write_nifti(phantom, folder)
    write_dicom_series(phantom, folder / "dicom")
    return phantom, folder
