"""Placement of hypodense liver tumours: spheroids whose probe points all fall on liver voxels."""

from __future__ import annotations

import numpy as np

from .anatomy import Anatomy
from .organs import Solid
from .painting import PointSpace, paint
from .shapes import Bumps, Ellipsoid, rotation_matrix
from .tissues import Tissue

MIN_RADIUS_MM = 6.0
MAX_RADIUS_MM = 20.0
PROBE_MARGIN_MM = 8.0
_CANDIDATES = 64  # candidate centres tried at once (one vectorised painting of all their probes)


def _sphere_directions(count: int) -> np.ndarray:
    """count nearly uniform unit vectors (Fibonacci sphere): [count, 3]."""
    k = np.arange(count) + 0.5
    z = 1.0 - 2.0 * k / count
    angle = np.pi * (1.0 + 5**0.5) * k
    r = np.sqrt(1.0 - z * z)
    return np.stack([r * np.cos(angle), r * np.sin(angle), z], axis=1)


def place_tumours(rng: np.random.Generator, anatomy: Anatomy, liver_label: int, count: int) -> list[Ellipsoid]:
    """Up to `count` non-overlapping tumours in the undeformed anatomy frame (mm), each well inside the liver.

    A candidate is kept when its centre and probes on two shells (half the radius, and PROBE_MARGIN_MM outside the
    tumour's largest extent, so that even coarse voxels next to the tumour are liver) all carry the liver label, and
    it keeps 4 mm from earlier tumours. The radius shrinks by 20 %
    after each batch of candidates fails; a tumour that does not fit at the minimum radius is left out.
    """
    lo, hi = anatomy.liver.box()
    probes = np.concatenate([np.zeros((1, 3)), 0.5 * _sphere_directions(24), _sphere_directions(48)])
    placed: list[Ellipsoid] = []
    for _ in range(count):
        radius = rng.uniform(MIN_RADIUS_MM, MAX_RADIUS_MM)
        while radius >= MIN_RADIUS_MM:
            semi = radius * rng.uniform(0.85, 1.15, 3)
            reach = semi.max() * 1.12 + PROBE_MARGIN_MM
            centres = rng.uniform(lo, hi, (_CANDIDATES, 3))
            scales = np.where(np.arange(len(probes)) > 24, reach, semi.max())[:, None]
            points = (centres[:, None, :] + probes[None] * scales[None]).reshape(-1, 3)
            space = PointSpace(points, anatomy.deformation)
            paint(space, anatomy.layers)
            inside = (space.labels.reshape(_CANDIDATES, len(probes)) == liver_label).all(axis=1)
            free = np.ones(_CANDIDATES, bool)
            for other in placed:
                gap = np.linalg.norm(centres - other.centre, axis=1) - reach - other.semi_axes.max() * 1.12
                free &= gap > 4.0
            chosen = np.nonzero(inside & free)[0]
            if len(chosen):
                rotation = rotation_matrix(*rng.uniform(0.0, 2 * np.pi, 3))
                placed.append(Ellipsoid(centres[chosen[0]], semi, rotation, Bumps.random(rng, 0.08)))
                break
            radius *= 0.8
    return placed


def tumour_solid(shape: Ellipsoid) -> Solid:
    """A placed tumour as a paintable solid of tumour tissue."""
    return Solid((shape,), Tissue.LIVER_TUMOUR)
