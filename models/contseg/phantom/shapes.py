"""Implicit shape primitives in millimetres: bumpy ellipsoids and tubes along smooth centrelines.

Every method takes Coords, a tuple (x, y, z) of equally shaped float32 arrays (any shape: a voxel block or a list of
points), and returns an array of that shape. Coordinates are the phantom's anatomy frame, patient LPS in mm
(+x towards the patient's left, +y posterior, +z superior).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline

Coords = tuple[np.ndarray, np.ndarray, np.ndarray]
Box = tuple[np.ndarray, np.ndarray]


def rotation_matrix(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Rz(yaw) @ Ry(pitch) @ Rx(roll), angles in radians: [3, 3]; column i is local axis i in the anatomy frame."""
    cz, sz, cy, sy, cx, sx = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    return rz @ ry @ rx


@dataclass(frozen=True)
class Bumps:
    """Smooth radial modulation of a closed surface: sum_m a_m sin(f_m (u . v_m) + phi_m) over unit directions u."""

    directions: np.ndarray  # [m, 3] unit vectors
    frequencies: np.ndarray  # [m]
    phases: np.ndarray  # [m]
    amplitudes: np.ndarray  # [m]

    @staticmethod
    def random(rng: np.random.Generator, amplitude: float, count: int = 5) -> Bumps:
        """count random lobes, each of amplitude up to `amplitude` (relative radius)."""
        directions = rng.normal(size=(count, 3))
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
        return Bumps(
            directions,
            rng.uniform(1.5, 3.5, count),
            rng.uniform(0.0, 2.0 * np.pi, count),
            rng.uniform(0.3, 1.0, count) * amplitude,
        )

    @property
    def bound(self) -> float:
        """Largest possible relative radius change."""
        return float(self.amplitudes.sum())

    def at(self, u: Coords) -> np.ndarray:
        """Relative radius change for unit directions u."""
        total = np.zeros(np.broadcast_shapes(*(c.shape for c in u)), np.float32)
        for v, f, phi, a in zip(self.directions, self.frequencies, self.phases, self.amplitudes):
            total += np.float32(a) * np.sin(np.float32(f) * (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) + np.float32(phi))
        return total


@dataclass(frozen=True)
class Ellipsoid:
    """Ellipsoid with centre [3] (mm), semi-axes [3] (mm) along the columns of rotation [3, 3], optional bumps."""

    centre: np.ndarray
    semi_axes: np.ndarray
    rotation: np.ndarray
    bumps: Bumps | None = None

    def local(self, p: Coords) -> Coords:
        """Coordinates in the ellipsoid's frame, in units of its semi-axes (|q| = 1 on the unbumped surface)."""
        d = [c - np.float32(o) for c, o in zip(p, self.centre)]
        r = self.rotation
        return tuple(  # type: ignore[return-value]
            (d[0] * np.float32(r[0, i]) + d[1] * np.float32(r[1, i]) + d[2] * np.float32(r[2, i]))
            / np.float32(self.semi_axes[i])
            for i in range(3)
        )

    def radius(self, p: Coords) -> np.ndarray:
        """Normalised radius: <= 1 inside the (bumped) surface, 1 on it, growing outwards."""
        q = self.local(p)
        s = np.sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2])
        if self.bumps is None:
            return s
        inverse = 1.0 / np.maximum(s, np.float32(1e-6))
        return s / (1.0 + self.bumps.at((q[0] * inverse, q[1] * inverse, q[2] * inverse)))

    def inside(self, p: Coords) -> np.ndarray:
        """Boolean mask of points inside the bumped surface (bumps evaluated only where they can matter)."""
        q = self.local(p)
        s = np.sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2])
        if self.bumps is None:
            return s <= 1.0
        bound = np.float32(self.bumps.bound)
        inside = s <= 1.0 - bound
        shell = np.nonzero((s > 1.0 - bound) & (s <= 1.0 + bound))
        s_shell = s[shell]
        u = tuple(c[shell] / s_shell for c in q)
        inside[shell] = s_shell <= 1.0 + self.bumps.at(u)  # type: ignore[arg-type]
        return inside

    def box(self) -> Box:
        """Axis-aligned bounding box (lo [3], hi [3]) in mm."""
        grow = 1.0 + (self.bumps.bound if self.bumps else 0.0)
        half = np.sqrt(((self.rotation * self.semi_axes[None, :]) ** 2).sum(axis=1)) * grow
        return self.centre - half, self.centre + half


@dataclass(frozen=True)
class Tube:
    """Tube around a polyline centreline [n, 3] (mm) with radius [n] (mm) varying linearly along each segment."""

    centreline: np.ndarray
    radii: np.ndarray

    @staticmethod
    def through(control: np.ndarray, radii: np.ndarray, samples_per_span: int = 4) -> Tube:
        """Smooth tube through control points [k, 3] with radii [k]: a cubic spline in arc length, resampled."""
        control = np.asarray(control, np.float64)
        radii = np.asarray(radii, np.float64)
        if len(control) < 3:
            return Tube(control, radii)
        arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(control, axis=0), axis=1))])
        t = np.linspace(0.0, arc[-1], (len(control) - 1) * samples_per_span + 1)
        return Tube(CubicSpline(arc, control, bc_type="natural")(t), np.interp(t, arc, radii))

    def depth(self, p: Coords) -> np.ndarray:
        """Signed distance to the tube surface (mm): negative inside, approximately Euclidean near the surface.

        Only the inside matters to callers, so each segment is evaluated just on the points within its own z range
        (points sorted by z once, so that range is one contiguous run); elsewhere the result is +inf.
        """
        shape = np.broadcast_shapes(*(c.shape for c in p))
        x, y, z = (np.broadcast_to(c, shape).ravel() for c in p)
        order = np.argsort(z, kind="stable")
        x, y, z = x[order], y[order], z[order]
        best = np.full(len(z), np.inf, np.float32)
        for a, b, ra, rb in zip(self.centreline[:-1], self.centreline[1:], self.radii[:-1], self.radii[1:]):
            reach = max(ra, rb)
            run = slice(*np.searchsorted(z, [min(a[2], b[2]) - reach, max(a[2], b[2]) + reach]))
            if run.start == run.stop:
                continue
            d = (b - a).astype(np.float32)
            rel = (x[run] - np.float32(a[0]), y[run] - np.float32(a[1]), z[run] - np.float32(a[2]))
            t = (rel[0] * d[0] + rel[1] * d[1] + rel[2] * d[2]) / np.float32(d @ d)
            np.clip(t, 0.0, 1.0, out=t)
            dist2 = sum((rel[i] - t * d[i]) ** 2 for i in range(3))
            np.minimum(best[run], np.sqrt(dist2) - (np.float32(ra) + t * np.float32(rb - ra)), out=best[run])
        out = np.empty_like(best)
        out[order] = best
        return out.reshape(shape)

    def box(self) -> Box:
        """Axis-aligned bounding box (lo [3], hi [3]) in mm."""
        r = self.radii[:, None]
        return (self.centreline - r).min(axis=0), (self.centreline + r).max(axis=0)


def union_box(boxes: list[Box]) -> Box:
    """Smallest box containing all boxes."""
    return np.min([b[0] for b in boxes], axis=0), np.max([b[1] for b in boxes], axis=0)
