"""generate_phantom(seed, shape, spacing): one synthetic abdominal CT with its label map, deterministic per seed.

Array index order is (i, j, k) = (x, y, z) with i running from the patient's right to left, j from anterior to
posterior and k from inferior to superior (the DICOM LPS axes, as in an axial CT series stored row by row).
`affine` maps (i, j, k, 1) to RAS millimetres as nibabel uses it, so it is diag(-sx, -sy, sz) plus the origin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .anatomy import build_anatomy
from .defaults import DEFAULT_SHAPE, DEFAULT_SPACING, MAX_VOXELS_PER_AXIS
from .intensity import synthesize_hu
from .labels import phantom_labels
from .painting import GridSpace, Layer, paint
from .shapes import Ellipsoid
from .tissues import PHASES, Tissue, hu_lookup
from .tumours import place_tumours, tumour_solid

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0])


@dataclass(frozen=True)
class Tumour:
    """One liver tumour: centre in RAS mm (world), nominal radius (mm), painted volume (mL) and voxel count."""

    centre_ras: tuple[float, float, float]
    radius_mm: float
    volume_ml: float
    voxels: int


@dataclass(frozen=True, eq=False)
class Phantom:
    """A generated CT.

    image: int16 [X, Y, Z] HU; labels: uint8 [X, Y, Z] catalogue labels (0 background); tissues: uint8 [X, Y, Z]
    Tissue codes; affine: float64 [4, 4] voxel index -> RAS mm; spacing: (sx, sy, sz) mm; phase: one of PHASES.
    """

    seed: int
    phase: str
    image: np.ndarray
    labels: np.ndarray
    tissues: np.ndarray
    affine: np.ndarray
    spacing: tuple[float, float, float]
    tumours: tuple[Tumour, ...]

    @property
    def shape(self) -> tuple[int, int, int]:
        """(X, Y, Z) voxels."""
        return self.image.shape  # type: ignore[return-value]

    def lps(self, ijk: np.ndarray) -> np.ndarray:
        """Patient LPS mm (DICOM's frame) of voxel indices [..., 3]."""
        ras = np.asarray(ijk, np.float64) @ self.affine[:3, :3].T + self.affine[:3, 3]
        return ras @ LPS_TO_RAS.T

    def label_volumes_ml(self) -> dict[str, float]:
        """Volume (mL) of every label the phantom can write, by catalogue name (0.0 when absent)."""
        counts = np.bincount(self.labels.ravel(), minlength=256)
        voxel_ml = float(np.prod(self.spacing)) / 1000.0
        return {name: round(float(counts[number]) * voxel_ml, 3) for number, name in phantom_labels().names().items()}


def _check_geometry(
    shape: tuple[int, ...], spacing: tuple[float, ...]
) -> tuple[tuple[int, int, int], tuple[float, float, float]]:
    """Validate shape (3 ints in 1..1024) and spacing (3 finite floats > 0); returns them as tuples."""
    if len(shape) != 3 or len(spacing) != 3:
        raise ValueError(f"shape and spacing need 3 values each, got shape={tuple(shape)} spacing={tuple(spacing)}")
    if not all(isinstance(n, (int, np.integer)) and 1 <= n <= MAX_VOXELS_PER_AXIS for n in shape):
        raise ValueError(f"shape values must be integers in 1..{MAX_VOXELS_PER_AXIS}, got {tuple(shape)}")
    if not all(isinstance(s, (int, float, np.floating)) and math.isfinite(s) and s > 0 for s in spacing):
        raise ValueError(f"spacing values must be finite numbers > 0 (mm), got {tuple(spacing)}")
    return tuple(int(n) for n in shape), tuple(float(s) for s in spacing)  # type: ignore[return-value]


def generate_phantom(
    seed: int,
    shape: tuple[int, int, int] = DEFAULT_SHAPE,
    spacing: tuple[float, float, float] = DEFAULT_SPACING,
    phase: str | None = None,
) -> Phantom:
    """Generate the phantom of `seed` on a grid of `shape` voxels of `spacing` mm (x, y, z).

    The anatomy depends on the seed only (not on shape or spacing): the grid is centred on it and samples it.
    phase: "non-contrast", "arterial" or "portal-venous"; None draws it from the seed.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in 0..{2**32 - 1}, got {seed!r}")
    shape, spacing = _check_geometry(shape, spacing)
    if phase is not None and phase not in PHASES:
        raise ValueError(f"unknown contrast phase {phase!r}; expected one of {', '.join(PHASES)}")
    labels = phantom_labels()

    anatomy = build_anatomy(np.random.default_rng([seed, 0]), labels)
    tumour_rng = np.random.default_rng([seed, 3])
    tumour_shapes = place_tumours(tumour_rng, anatomy, labels.liver, int(tumour_rng.integers(0, 4)))
    tumour_layers = [
        Layer(f"liver tumour {n}", tumour_solid(t), label=labels.liver_tumour, within=labels.liver, deformed=False)
        for n, t in enumerate(tumour_shapes)
    ]
    grid = GridSpace(shape, spacing, anatomy.deformation)
    paint(grid, anatomy.layers + tuple(tumour_layers))

    acquisition = np.random.default_rng([seed, 1])
    drawn_phase = PHASES[int(acquisition.integers(len(PHASES)))]
    phase = drawn_phase if phase is None else phase
    means, texture = hu_lookup(phase, acquisition)
    anatomy_origin_lps = np.round(acquisition.uniform([-10.0, -40.0, -700.0], [10.0, 10.0, -300.0]), 1)
    image = synthesize_hu(grid.tissue, means, texture, spacing, np.random.default_rng([seed, 2]))

    affine = np.eye(4)
    affine[:3, :3] = LPS_TO_RAS @ np.diag(spacing)
    affine[:3, 3] = LPS_TO_RAS @ (anatomy_origin_lps + np.array([axis[0] for axis in grid.axes]))
    voxel_ml = float(np.prod(spacing)) / 1000.0
    tumours = tuple(_tumour_record(grid, t, anatomy_origin_lps, labels.liver_tumour, voxel_ml) for t in tumour_layers)
    return Phantom(seed, phase, image, grid.labels, grid.tissue, affine, spacing, tumours)


def _tumour_record(
    grid: GridSpace, layer: Layer, anatomy_origin_lps: np.ndarray, tumour_label: int, voxel_ml: float
) -> Tumour:
    """Centre (RAS mm), nominal radius and painted volume of one tumour layer painted on grid."""
    shape: Ellipsoid = layer.structure.parts[0]  # type: ignore[attr-defined]
    found = grid.region(shape.box(), deformed=False)
    voxels = 0
    if found is not None:
        index, coords = found
        inside = layer.structure.tissue_at(coords) != Tissue.NONE
        voxels = int((inside & (grid.labels[index] == tumour_label)).sum())
    centre = LPS_TO_RAS @ (shape.centre + anatomy_origin_lps)
    return Tumour(
        (round(float(centre[0]), 3), round(float(centre[1]), 3), round(float(centre[2]), 3)),
        round(float(shape.semi_axes.mean()), 3),
        round(voxels * voxel_ml, 3),
        voxels,
    )
