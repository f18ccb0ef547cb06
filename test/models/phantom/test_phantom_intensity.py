"""Hounsfield values: per-tissue ranges, contrast-phase enhancement, hypodense tumours, valid int16 image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from contseg.phantom import PHASES, Tissue, generate_phantom
from contseg.phantom.labels import phantom_labels
from contseg.phantom.tissues import HU_TABLE

SEED = 1  # has a liver tumour

# Median HU of the tissue's inner voxels: (non-contrast, arterial, portal venous) ranges.
HU_RANGES = {
    Tissue.SUBCUTANEOUS_FAT: [(-130, -70)] * 3,
    Tissue.VISCERAL_FAT: [(-130, -60)] * 3,
    Tissue.MUSCLE: [(30, 80)] * 3,
    Tissue.LUNG: [(-900, -800)] * 3,
    Tissue.LIVER: [(40, 75), (55, 95), (85, 140)],
    Tissue.SPLEEN: [(30, 65), (80, 150), (90, 150)],
    Tissue.KIDNEY_CORTEX: [(15, 50), (130, 240), (120, 220)],
    Tissue.ARTERIAL_BLOOD: [(25, 60), (220, 420), (110, 220)],
    Tissue.PORTAL_BLOOD: [(20, 60), (90, 190), (120, 230)],
    Tissue.GALLBLADDER_BILE: [(-10, 25)] * 3,
    Tissue.CANCELLOUS_BONE: [(100, 320)] * 3,
}


def _core(mask: np.ndarray) -> np.ndarray:
    """The mask without its surface voxels (or the mask itself when nothing would be left)."""
    inner = ndimage.binary_erosion(mask)
    return inner if inner.sum() >= 20 else mask


@pytest.mark.parametrize("phase", PHASES)
def test_tissue_medians_lie_in_their_hu_ranges_for_each_phase(small_phantom, phase: str) -> None:
    p = small_phantom(SEED, phase)
    assert p.phase == phase
    column = PHASES.index(phase)
    for tissue, ranges in HU_RANGES.items():
        low, high = ranges[column]
        median = float(np.median(p.image[_core(p.tissues == tissue)]))
        assert low <= median <= high, f"{phase} {tissue.name}: {median}"


def test_vertebral_cortical_bone_is_400_to_700_hu(small_phantom) -> None:
    p = small_phantom(SEED)
    cortical = p.image[p.tissues == Tissue.CORTICAL_BONE]
    assert 400 <= np.median(cortical) <= 700
    assert np.percentile(cortical, 90) > 450


@pytest.mark.parametrize("phase", PHASES)
def test_liver_tumours_are_hypodense_to_liver_in_every_phase(small_phantom, phase: str) -> None:
    p = small_phantom(SEED, phase)
    n = phantom_labels()
    tumour = p.labels == n.liver_tumour
    assert tumour.sum() > 0
    liver = float(np.median(p.image[_core(p.labels == n.liver)]))
    lesion = float(np.median(p.image[_core(tumour)]))
    assert lesion < liver - 10, f"{phase}: tumour {lesion} vs liver {liver}"


def test_contrast_enhances_vessels_and_kidney_cortex_in_arterial_phase(small_phantom) -> None:
    plain, arterial = small_phantom(SEED, "non-contrast"), small_phantom(SEED, "arterial")
    aorta = _core(plain.tissues == Tissue.ARTERIAL_BLOOD)
    assert np.median(arterial.image[aorta]) > np.median(plain.image[aorta]) + 150
    cortex = np.median(arterial.image[_core(arterial.tissues == Tissue.KIDNEY_CORTEX)])
    medulla = np.median(arterial.image[_core(arterial.tissues == Tissue.KIDNEY_MEDULLA)])
    assert cortex > medulla + 50  # corticomedullary differentiation


def test_image_is_int16_hu_within_the_ct_range_and_air_outside_the_body(small_phantom) -> None:
    p = small_phantom(SEED)
    assert p.image.dtype == np.int16 and p.labels.dtype == np.uint8 and p.image.shape == p.labels.shape
    assert -1024 <= p.image.min() and p.image.max() <= 3071
    assert np.median(p.image[p.tissues == Tissue.AIR]) < -950


def test_texture_and_noise_vary_inside_an_organ(small_phantom) -> None:
    p = small_phantom(SEED)
    sd = float(np.std(p.image[_core(p.tissues == Tissue.LIVER)]))
    assert 4 < sd < 30


def test_phase_is_drawn_from_the_seed_when_not_given() -> None:
    drawn = {generate_phantom(seed, (24, 24, 12), (16.0, 14.0, 26.0)).phase for seed in range(4)}
    assert drawn == set(PHASES)


def test_docs_hu_table_lists_every_tissue_with_the_generator_values() -> None:
    docs = Path(__file__).resolve().parents[3] / "docs" / "phantom.md"
    rows = {}
    for line in docs.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].replace(" ", "_").upper() in Tissue.__members__:
            rows[Tissue[cells[0].replace(" ", "_").upper()]] = tuple(float(c) for c in cells[1:])
    assert rows == {tissue: tuple(float(v) for v in values) for tissue, values in HU_TABLE.items()}


@pytest.mark.filterwarnings("error")
def test_one_voxel_and_one_slice_grids_give_finite_hu_without_warnings() -> None:
    for shape, spacing in [((1, 1, 1), (1.0, 1.0, 1.0)), ((3, 2, 1), (150.0, 160.0, 300.0))]:
        p = generate_phantom(0, shape, spacing)
        assert p.image.shape == shape and -1024 <= p.image.min() and p.image.max() <= 3071
