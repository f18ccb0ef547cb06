"""Organ geometries: solids made of bumpy ellipsoids, kidneys with cortex, medulla and hilum, stomach and bowel with
wall, content and gas, and tubular structures (vessels, pancreas). Anatomy frame, LPS mm (see shapes.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .shapes import Box, Coords, Ellipsoid, Tube, union_box
from .tissues import Tissue


@dataclass(frozen=True)
class Solid:
    """Union of bumpy ellipsoids of one tissue (liver lobes, spleen, gallbladder, adrenal limbs, tumours)."""

    parts: tuple[Ellipsoid, ...]
    tissue: Tissue

    def tissue_at(self, p: Coords) -> np.ndarray:
        inside = self.parts[0].inside(p)
        for part in self.parts[1:]:
            inside |= part.inside(p)
        return np.where(inside, self.tissue, Tissue.NONE).astype(np.uint8)

    def box(self) -> Box:
        return union_box([part.box() for part in self.parts])


@dataclass(frozen=True)
class Kidney:
    """Bean-shaped kidney: ellipsoid with a notch at the hilum (renal sinus, left as surrounding fat), cortex outside
    normalised radius `medulla`, medulla inside. hilum: unit vector [3] in the ellipsoid's local frame."""

    shape: Ellipsoid
    hilum: np.ndarray
    medulla: float

    def tissue_at(self, p: Coords) -> np.ndarray:
        q = self.shape.local(p)
        s = self.shape.radius(p)
        towards_hilum = (
            q[0] * np.float32(self.hilum[0]) + q[1] * np.float32(self.hilum[1]) + q[2] * np.float32(self.hilum[2])
        )
        notch = (towards_hilum > 0.3) & (np.abs(q[2]) < 0.35)
        return np.select(
            [(s > 1.0) | notch, s > self.medulla], [Tissue.NONE, Tissue.KIDNEY_CORTEX], Tissue.KIDNEY_MEDULLA
        ).astype(np.uint8)

    def box(self) -> Box:
        return self.shape.box()


@dataclass(frozen=True)
class HollowOrgan:
    """Stomach or bowel: union of tubes with `wall` mm of wall tissue around the content, and gas in front of
    y = gas_level (the patient lies supine, so gas rises anteriorly)."""

    tubes: tuple[Tube, ...]
    wall: float
    gas_level: float
    wall_tissue: Tissue
    content_tissue: Tissue

    def tissue_at(self, p: Coords) -> np.ndarray:
        depth = self.tubes[0].depth(p)
        for tube in self.tubes[1:]:
            depth = np.minimum(depth, tube.depth(p))
        conditions = [depth > 0, depth > -self.wall, p[1] < self.gas_level]
        return np.select(conditions, [Tissue.NONE, self.wall_tissue, Tissue.GAS], self.content_tissue).astype(np.uint8)

    def box(self) -> Box:
        return union_box([tube.box() for tube in self.tubes])


@dataclass(frozen=True)
class Tubular:
    """Union of tubes of one tissue (a vessel with its branches, the pancreas)."""

    tubes: tuple[Tube, ...]
    tissue: Tissue

    def tissue_at(self, p: Coords) -> np.ndarray:
        depth = self.tubes[0].depth(p)
        for tube in self.tubes[1:]:
            depth = np.minimum(depth, tube.depth(p))
        return np.where(depth <= 0, self.tissue, Tissue.NONE).astype(np.uint8)

    def box(self) -> Box:
        return union_box([tube.box() for tube in self.tubes])
