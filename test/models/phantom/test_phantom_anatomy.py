"""Anatomy: every organ present with a plausible volume and position; liver tumours inside the liver; label numbers
taken from the catalogue."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from contseg.phantom import Tissue
from contseg.phantom.labels import phantom_labels

SEEDS = range(6)
CATALOGUE = Path(__file__).resolve().parents[3] / "models" / "contseg" / "catalogue.json"

# Plausible adult volumes (mL) at the test grid's coarse voxels (partial voxels count whole or not at all).
VOLUME_ML = {
    "liver": (900, 2400),
    "spleen": (50, 400),
    "right kidney": (60, 260),
    "left kidney": (60, 260),
    "gallbladder": (15, 90),
    "stomach": (150, 1000),
    "aorta": (40, 200),
    "inferior vena cava": (40, 200),
    "portal and splenic vein": (8, 60),
    "pancreas": (25, 120),
    "right adrenal gland": (1, 12),
    "left adrenal gland": (1, 12),
    "duodenum": (25, 150),
    "colon": (300, 1400),
    "small bowel": (120, 800),
}


def _centroid_ras(phantom, mask: np.ndarray) -> np.ndarray:
    """World (RAS mm) centroid of a voxel mask."""
    assert mask.any()
    return phantom.affine[:3, :3] @ np.argwhere(mask).mean(axis=0) + phantom.affine[:3, 3]


def test_label_numbers_are_the_catalogue_numbers_of_the_named_classes() -> None:
    catalogue = {c["name"]: c["label"] for c in json.loads(CATALOGUE.read_text())["classes"]}
    names = phantom_labels().names()
    assert len(names) == 16
    for number, name in names.items():
        assert catalogue[name] == number


@pytest.mark.parametrize("seed", SEEDS)
def test_every_organ_is_present_with_a_plausible_volume(small_phantom, seed: int) -> None:
    volumes = small_phantom(seed).label_volumes_ml()
    for organ, (low, high) in VOLUME_ML.items():
        assert low <= volumes[organ] <= high, f"seed {seed}: {organ} {volumes[organ]} mL"


@pytest.mark.parametrize("seed", SEEDS)
def test_organs_lie_at_their_anatomical_positions(small_phantom, seed: int) -> None:
    """RAS: +x patient right, +y anterior, +z superior."""
    p = small_phantom(seed)
    n = phantom_labels()
    at = {name: _centroid_ras(p, p.labels == number) for number, name in n.names().items() if name != "liver tumour"}
    spine = _centroid_ras(p, p.tissues == Tissue.INTERVERTEBRAL_DISC)
    x, y, z = 0, 1, 2
    assert at["liver"][x] > at["spleen"][x] + 100
    assert at["spleen"][y] < at["liver"][y]  # spleen posterior of the liver
    assert at["right kidney"][x] > spine[x] + 40 > spine[x] - 40 > at["left kidney"][x]
    assert at["right kidney"][y] < spine[y] + 30 and at["left kidney"][y] < spine[y] + 30  # beside, not in front
    assert at["liver"][z] > at["right kidney"][z]
    assert (
        at["right adrenal gland"][z] > at["right kidney"][z] + 30
        and at["right adrenal gland"][x] < at["right kidney"][x]
    )
    assert (
        at["left adrenal gland"][z] > at["left kidney"][z] + 30 and at["left adrenal gland"][x] > at["left kidney"][x]
    )
    assert at["aorta"][x] < spine[x] and at["aorta"][y] > spine[y]  # left-anterior of the spine
    assert at["inferior vena cava"][x] > at["aorta"][x]
    assert at["stomach"][x] < spine[x] and at["stomach"][z] > spine[z]  # left upper
    assert at["gallbladder"][x] > spine[x] + 20 and at["gallbladder"][z] < at["liver"][z]  # under the right liver
    assert abs(at["pancreas"][x] - spine[x]) < 40 and at["pancreas"][y] > at["aorta"][y]  # midline, in front
    assert at["portal and splenic vein"][y] > at["aorta"][y]  # in front of the aorta
    assert (
        at["duodenum"][x] > at["pancreas"][x] and at["duodenum"][z] < at["stomach"][z]
    )  # C-loop right of the pancreas
    assert at["small bowel"][z] < at["pancreas"][z] - 40 and abs(at["small bowel"][x] - spine[x]) < 40
    colon = np.argwhere(p.labels == n.colon) @ p.affine[:3, :3].T + p.affine[:3, 3]
    assert (colon[:, x] > spine[x] + 70).any() and (colon[:, x] < spine[x] - 70).any()  # ascending and descending
    assert (colon[:, y] > spine[y] + 100).any()  # transverse colon at the front


def test_seeds_draw_zero_to_three_tumours_inside_the_liver(small_phantom) -> None:
    """Each tumour voxel replaced a liver voxel, so tumours border only liver, tumour or the vessels in the liver."""
    n = phantom_labels()
    counts = []
    for seed in SEEDS:
        p = small_phantom(seed)
        counts.append(len(p.tumours))
        tumour = p.labels == n.liver_tumour
        assert tumour.sum() == sum(t.voxels for t in p.tumours)
        assert np.array_equal(tumour, p.tissues == Tissue.LIVER_TUMOUR)
        border = ndimage.binary_dilation(tumour) & ~tumour
        allowed = {n.liver, n.portal_and_splenic_vein, n.inferior_vena_cava}
        assert set(np.unique(p.labels[border]).tolist()) <= allowed, f"seed {seed}"
        for t in p.tumours:
            centre = np.linalg.solve(p.affine[:3, :3], np.array(t.centre_ras) - p.affine[:3, 3])
            assert p.labels[tuple(np.rint(centre).astype(int))] == n.liver_tumour
            assert 6.0 * 0.8 <= t.radius_mm <= 20.0 * 1.15 and t.volume_ml > 0
    assert all(0 <= c <= 3 for c in counts) and sum(counts) >= 3


def test_tumour_volume_matches_its_radius(small_phantom) -> None:
    tumours = [t for seed in SEEDS for t in small_phantom(seed).tumours]
    for t in tumours:
        sphere_ml = 4.0 / 3.0 * np.pi * t.radius_mm**3 / 1000.0
        assert 0.4 * sphere_ml < t.volume_ml < 2.0 * sphere_ml
