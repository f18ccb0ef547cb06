"""Smooth random fields over millimetre coordinates: the per-seed deformation of the whole anatomy.

A field is a tensor-product cosine series f(x, y, z) = sum_abc C[a,b,c] cos(pi a (x/L + 1/2)) cos(pi b (y/L + 1/2))
cos(pi c (z/L + 1/2)), so on an axis-aligned voxel grid it separates into three small basis matrices and one einsum
(no per-voxel work beyond a few multiply-adds). Fields live in physical millimetres, not voxels, so one seed gives the
same anatomy at every shape and spacing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .shapes import Coords


@dataclass(frozen=True)
class CosineField:
    """Scalar field given by cosine coefficients [n, n, n] over a cube of side `length_mm` centred at the origin."""

    coefficients: np.ndarray
    length_mm: float

    @staticmethod
    def random(rng: np.random.Generator, order: int, bound: float, length_mm: float) -> CosineField:
        """Random field with coefficients decaying with frequency, scaled so that |f| <= bound everywhere."""
        index = np.arange(order)
        decay = 1.0 + index[:, None, None] + index[None, :, None] + index[None, None, :]
        coefficients = rng.normal(0.0, 1.0, (order, order, order)) / decay**1.5
        coefficients *= bound / np.abs(coefficients).sum()
        return CosineField(coefficients, length_mm)

    @property
    def bound(self) -> float:
        """Upper bound of |f| (each cosine is at most 1 in magnitude)."""
        return float(np.abs(self.coefficients).sum())

    def _basis(self, coordinate: np.ndarray) -> np.ndarray:
        """cos(pi a (c/L + 1/2)) for a = 0..n-1: [len(c), n] float32."""
        order = self.coefficients.shape[0]
        phase = np.pi * (coordinate.astype(np.float64)[:, None] / self.length_mm + 0.5)
        return np.cos(phase * np.arange(order)[None, :]).astype(np.float32)

    def on_grid(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Field on the grid spanned by 1-D axes x [X], y [Y], z [Z]: float32 [X, Y, Z]."""
        c = self.coefficients.astype(np.float32)
        return np.einsum("xa,yb,zc,abc->xyz", self._basis(x), self._basis(y), self._basis(z), c, optimize=True)

    def at_points(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Field at points given by equally long 1-D arrays [N]: float32 [N]."""
        c = self.coefficients.astype(np.float32)
        bx, by, bz = self._basis(x), self._basis(y), self._basis(z)
        partial = sum(bx[:, a, None, None] * c[a] for a in range(len(c)))  # [N, n, n], no BLAS threads for tiny work
        return (partial * by[:, :, None] * bz[:, None, :]).sum(axis=(1, 2))


@dataclass(frozen=True)
class Deformation:
    """Smooth displacement d(p) (mm) of the anatomy: a structure drawn at q is seen at voxel p where p + d(p) = q."""

    components: tuple[CosineField, CosineField, CosineField]

    @staticmethod
    def random(rng: np.random.Generator, bound_mm: float) -> Deformation:
        """Displacement with each component bounded by bound_mm, wavelengths of 240 mm and longer."""
        fields = tuple(CosineField.random(rng, order=5, bound=bound_mm, length_mm=480.0) for _ in range(3))
        return Deformation(fields)  # type: ignore[arg-type]

    @property
    def bound(self) -> float:
        """Largest possible displacement along any one axis (mm)."""
        return max(field.bound for field in self.components)

    def warp_grid(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> Coords:
        """Displaced coordinates of every voxel of the grid spanned by 1-D axes: three float32 [X, Y, Z] arrays."""
        dx, dy, dz = (field.on_grid(x, y, z) for field in self.components)
        dx += x.astype(np.float32)[:, None, None]
        dy += y.astype(np.float32)[None, :, None]
        dz += z.astype(np.float32)[None, None, :]
        return dx, dy, dz

    def warp_points(self, points: np.ndarray) -> Coords:
        """Displaced coordinates of points [N, 3]: three float32 [N] arrays."""
        x, y, z = (points[:, axis].astype(np.float32) for axis in range(3))
        return tuple(c + field.at_points(x, y, z) for c, field in zip((x, y, z), self.components))  # type: ignore
