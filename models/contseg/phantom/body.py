"""Body wall and surroundings: torso layers (skin, fat, muscle with ribs, cavity), diaphragm with lung bases,
heart, psoas muscles and the CT table. All geometry in the anatomy frame (LPS mm), see shapes.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .shapes import Box, Coords, Ellipsoid
from .skeleton import INF, Ribs
from .tissues import Tissue


def _superellipse_radius(x: np.ndarray, y: np.ndarray, a: float, b_front: float, b_back: float) -> np.ndarray:
    """Normalised radius of a cross-section: ellipse in front (y <= 0), flatter superellipse (exponent 2.6) behind."""
    u = np.abs(x) / np.float32(a)
    rho = np.sqrt(u * u + (y / np.float32(b_front)) ** 2)
    back = y > 0
    rho[back] = (u[back] ** np.float32(2.6) + (y[back] / np.float32(b_back)) ** np.float32(2.6)) ** np.float32(1 / 2.6)
    return rho


@dataclass(frozen=True)
class Torso:
    """Elliptic torso, flatter at the back, lobed by low-order angular harmonics.

    cavity_*: semi-axes (mm) of the abdominal cavity (inside the muscle wall); fat: subcutaneous fat thickness in
    front and at the sides (half of it at the back); muscle: wall thickness; lobes: [m] amplitudes for harmonics
    2..m+1 with phases [m]; ribs: painted within the wall; paraspinal_*: the back muscles behind the spine
    (|x| < half width, y > front, the front curving 25 mm backwards towards the sides).
    """

    cavity_half_width: float
    cavity_anterior: float
    cavity_posterior: float
    fat: float
    muscle: float
    lobe_amplitudes: np.ndarray
    lobe_phases: np.ndarray
    paraspinal_half_width: float
    paraspinal_front: float
    ribs: Ribs

    @property
    def outline(self) -> tuple[float, float, float]:
        """Semi-axes (half width, anterior, posterior) of the skin surface before lobing (mm)."""
        wall = self.fat + self.muscle
        return (
            self.cavity_half_width + wall,
            self.cavity_anterior + wall,
            self.cavity_posterior + 0.5 * self.fat + self.muscle,
        )

    def depths(self, p: Coords) -> tuple[np.ndarray, np.ndarray]:
        """(depth below the skin, local subcutaneous fat thickness), both mm; depth < 0 is outside the body."""
        x, y, _ = np.broadcast_arrays(*p)
        rho = _superellipse_radius(x, y, *self.outline)
        r = np.sqrt(x * x + y * y)
        inverse_r = 1.0 / np.maximum(r, np.float32(1e-6))
        cos1, sin1 = x * inverse_r, y * inverse_r
        cos_m, sin_m = cos1, sin1
        lobes = np.ones_like(rho)
        for amplitude, phase in zip(self.lobe_amplitudes, self.lobe_phases):  # harmonics m = 2, 3, ...
            cos_m, sin_m = cos_m * cos1 - sin_m * sin1, sin_m * cos1 + cos_m * sin1
            # amplitude * cos(m theta + phase), expanded so that no angle is ever computed
            lobes += np.float32(amplitude * np.cos(phase)) * cos_m - np.float32(amplitude * np.sin(phase)) * sin_m
        rho /= lobes
        # The cross-section is star-shaped and rho is 1-homogeneous, so the skin lies at r / rho along the ray.
        depth = r / np.maximum(rho, np.float32(1e-6)) - r
        fat = np.float32(self.fat) * (1.0 - 0.5 * np.clip(sin1, 0.0, 1.0))
        return depth, fat

    def tissue_at(self, p: Coords) -> np.ndarray:
        x, y, z = np.broadcast_arrays(*p)
        depth, fat = self.depths(p)
        side = np.abs(x) / np.float32(self.paraspinal_half_width)
        paraspinal = (side < 1.0) & (y > np.float32(self.paraspinal_front) + 25.0 * side * side)
        conditions = [depth < 0, depth < 1.5, depth < fat, (depth < fat + self.muscle) | paraspinal]
        choices = [Tissue.NONE, Tissue.SKIN, Tissue.SUBCUTANEOUS_FAT, Tissue.MUSCLE]
        out = np.select(conditions, choices, Tissue.VISCERAL_FAT).astype(np.uint8)
        wall = (depth - fat) / np.float32(self.muscle)  # 0..1 across the muscle wall
        index = np.nonzero((wall > 0.15) & (wall < 0.85) & (np.abs(z - self.ribs.centre_z) < self.ribs.half_span))
        rib = self.ribs.tissue_in_wall(x[index], y[index], z[index], wall[index])
        out[index] = np.where(rib != Tissue.NONE, rib, out[index])
        return out

    def box(self) -> Box:
        a, front, back = self.outline
        grow = 1.0 + float(np.abs(self.lobe_amplitudes).sum())
        return np.array([-a * grow, -front * grow, -INF]), np.array([a * grow, back * grow, INF])


@dataclass(frozen=True)
class Diaphragm:
    """Two diaphragmatic domes; above them lung, or mediastinal fat in front of the spine near the midline
    (an elliptic cylinder `mediastinum` mm wide to each side of x = 10, from y = 25 mm to the front); below the
    surface a muscular sheet of `thickness` mm.

    Surface height z(x, y) = dome(x) - c(x) (|x| - dome_x)^2 - posterior_drop max(y, 0), with dome(x) blending
    from the right dome height (x < 0) to the left one across the midline, and c = curvature laterally of the
    domes, 0.4 curvature between them (the flatter central tendon under the heart).
    """

    right_dome: float
    left_dome: float
    dome_x: float
    curvature: float
    posterior_drop: float
    thickness: float
    mediastinum: float

    def height(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """z (mm) of the diaphragm surface above (x, y)."""
        blend = np.clip((x + 30.0) / 60.0, 0.0, 1.0)
        dome = np.float32(self.right_dome) + np.float32(self.left_dome - self.right_dome) * blend
        lateral = np.abs(x) - np.float32(self.dome_x)
        curvature = np.where(lateral > 0, np.float32(self.curvature), np.float32(0.4 * self.curvature))
        return dome - curvature * lateral * lateral - np.float32(self.posterior_drop) * np.maximum(y, 0)

    def tissue_at(self, p: Coords) -> np.ndarray:
        x, y, z = p
        surface = self.height(x, y)
        mediastinum = ((x - np.float32(10.0)) / np.float32(self.mediastinum)) ** 2 + ((y + 40.0) / 65.0) ** 2 < 1.0
        conditions = [(z > surface) & mediastinum, z > surface, z > surface - self.thickness]
        choices = [Tissue.MEDIASTINAL_FAT, Tissue.LUNG, Tissue.DIAPHRAGM]
        return np.select(conditions, choices, Tissue.NONE).astype(np.uint8)

    def box(self) -> Box:
        lowest = min(self.right_dome, self.left_dome) - self.curvature * 200.0**2 - self.posterior_drop * 200.0
        return np.array([-INF, -INF, lowest - self.thickness]), np.array([INF, INF, INF])


@dataclass(frozen=True)
class Heart:
    """Heart above the diaphragm: myocardium shell (outer 22 % of the normalised radius) around the blood pool."""

    shape: Ellipsoid
    diaphragm: Diaphragm

    def tissue_at(self, p: Coords) -> np.ndarray:
        s = self.shape.radius(p)
        above = p[2] > self.diaphragm.height(p[0], p[1])
        return np.select([~above | (s > 1), s > 0.78], [Tissue.NONE, Tissue.MYOCARDIUM], Tissue.HEART_BLOOD).astype(
            np.uint8
        )

    def box(self) -> Box:
        return self.shape.box()


@dataclass(frozen=True)
class Psoas:
    """Paired psoas muscles: start at origin_z, grow caudally (radius 3 mm + growth per mm, up to max_radius) and
    drift laterally from |x| = x0 by `drift` mm per mm; elliptic section (antero-posterior 0.8 of the width)."""

    origin_z: float
    growth: float
    max_radius: float
    x0: float
    drift: float
    y0: float

    def tissue_at(self, p: Coords) -> np.ndarray:
        x, y, z = p
        caudal = np.float32(self.origin_z) - z
        radius = np.minimum(3.0 + np.float32(self.growth) * caudal, np.float32(self.max_radius))
        centre_x = np.float32(self.x0) + np.float32(self.drift) * caudal
        inside = ((np.abs(x) - centre_x) / radius) ** 2 + ((y - np.float32(self.y0)) / (0.8 * radius)) ** 2 <= 1.0
        return np.where(inside & (caudal > 0), Tissue.MUSCLE, Tissue.NONE).astype(np.uint8)

    def box(self) -> Box:
        reach = self.x0 + self.drift * 400.0 + self.max_radius
        return np.array([-reach, self.y0 - self.max_radius, -INF]), np.array(
            [reach, self.y0 + self.max_radius, self.origin_z]
        )


@dataclass(frozen=True)
class Table:
    """CT table top below the patient: 2 mm shells around foam, 10 mm in all, `half_width` mm to each side."""

    top: float
    half_width: float

    def tissue_at(self, p: Coords) -> np.ndarray:
        x, y, _ = p
        depth = y - np.float32(self.top) - np.float32(2e-4) * x * x
        inside = (depth >= 0) & (depth < 10) & (np.abs(x) < self.half_width)
        shell = (depth < 2) | (depth >= 8)
        return np.select([~inside, shell], [Tissue.NONE, Tissue.TABLE], Tissue.TABLE_FOAM).astype(np.uint8)

    def box(self) -> Box:
        sag = 2e-4 * self.half_width**2
        return np.array([-self.half_width, self.top, -INF]), np.array([self.half_width, self.top + 10 + sag, INF])
