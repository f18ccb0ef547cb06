"""Painting structures, in priority order, into a tissue map and a label map over a voxel grid or a list of points.

A Layer pairs a structure (geometry: coordinates -> tissue codes, 0 outside) with painting rules: which label it
writes, which tissues it may cover and whether it stays inside one label. Later layers win where they are allowed to
paint, so organs never cover bone or muscle, and a liver tumour only ever replaces liver voxels. The same layers
painted on a few points (PointSpace) give the label at those points, which places tumours inside the liver.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .fields import Deformation
from .shapes import Box, Coords
from .tissues import Tissue


class Structure(Protocol):
    """Geometry of one structure in the anatomy frame (mm)."""

    def tissue_at(self, p: Coords) -> np.ndarray:
        """uint8 tissue codes with p's shape; Tissue.NONE (0) where the structure is absent."""
        ...

    def box(self) -> Box | None:
        """Bounding box (lo [3], hi [3]) in mm, or None when the structure may reach anywhere."""
        ...


@dataclass(frozen=True)
class Layer:
    """A structure with its painting rules.

    label: label written where painted (0 clears it); None keeps the label underneath.
    over: tissues it may cover (None: any). over_labelled: it may also cover any voxel that carries a label.
    within: paint only where the label already equals this number.
    deformed: evaluate on deformed coordinates (anatomy) or on undeformed ones (tumours placed in patient space).
    """

    name: str
    structure: Structure
    label: int | None = None
    over: frozenset[Tissue] | None = None
    over_labelled: bool = False
    within: int | None = None
    deformed: bool = True

    def allowed(self, tissue: np.ndarray, labels: np.ndarray) -> np.ndarray | None:
        """Where this layer may paint (None: everywhere) given the current tissue and label blocks."""
        mask = None
        if self.over is not None:
            table = np.zeros(256, bool)
            table[list(self.over)] = True
            mask = table[tissue]
            if self.over_labelled:
                mask |= labels > 0
        if self.within is not None:
            inside = labels == self.within
            mask = inside if mask is None else mask & inside
        return mask


class Space(Protocol):
    """Where layers get painted: holds tissue and label arrays and hands out coordinates of boxed regions."""

    tissue: np.ndarray
    labels: np.ndarray

    def region(self, box: Box | None, deformed: bool) -> tuple[object, Coords] | None:
        """(index into tissue/labels, coordinates of those elements) covering box; None if nothing is inside."""
        ...


class GridSpace:
    """A voxel grid [X, Y, Z] centred on the anatomy origin; index order x, y, z (anatomy LPS)."""

    def __init__(self, shape: tuple[int, int, int], spacing: tuple[float, float, float], deformation: Deformation):
        self.axes = tuple((np.arange(n) - (n - 1) / 2.0) * s for n, s in zip(shape, spacing))
        self.deformed = deformation.warp_grid(*self.axes)
        self.margin = deformation.bound
        self.tissue = np.full(shape, Tissue.AIR, np.uint8)
        self.labels = np.zeros(shape, np.uint8)

    def region(self, box: Box | None, deformed: bool) -> tuple[object, Coords] | None:
        if box is None:
            index = (slice(None),) * 3
        else:
            margin = self.margin if deformed else 0.0
            index = tuple(
                slice(int(np.searchsorted(axis, lo - margin)), int(np.searchsorted(axis, hi + margin, side="right")))
                for axis, lo, hi in zip(self.axes, box[0], box[1])
            )
            if any(s.start >= s.stop for s in index):
                return None
        if deformed:
            return index, tuple(c[index] for c in self.deformed)  # type: ignore[return-value]
        x, y, z = (axis[s].astype(np.float32) for axis, s in zip(self.axes, index))
        block = (len(x), len(y), len(z))
        return index, (  # type: ignore[return-value]
            np.broadcast_to(x[:, None, None], block),
            np.broadcast_to(y[None, :, None], block),
            np.broadcast_to(z[None, None, :], block),
        )


class PointSpace:
    """Arbitrary points [N, 3] in the undeformed anatomy frame (mm), painted like voxels."""

    def __init__(self, points: np.ndarray, deformation: Deformation):
        self.points = points.astype(np.float32)
        self.deformed = deformation.warp_points(points)
        self.tissue = np.full(len(points), Tissue.AIR, np.uint8)
        self.labels = np.zeros(len(points), np.uint8)

    def region(self, box: Box | None, deformed: bool) -> tuple[object, Coords] | None:
        coords = self.deformed if deformed else tuple(self.points[:, axis] for axis in range(3))
        if box is None:
            return slice(None), coords  # type: ignore[return-value]
        inside = np.ones(len(self.points), bool)
        for c, lo, hi in zip(coords, box[0], box[1]):
            inside &= (c >= lo) & (c <= hi)
        index = np.nonzero(inside)[0]
        if len(index) == 0:
            return None
        return index, tuple(c[index] for c in coords)  # type: ignore[return-value]


def paint(space: Space, layers: Iterable[Layer]) -> None:
    """Paint layers in order into space.tissue and space.labels (later layers win where allowed)."""
    for layer in layers:
        found = space.region(layer.structure.box(), layer.deformed)
        if found is None:
            continue
        index, coords = found
        tissue = space.tissue[index]
        labels = space.labels[index]
        new = np.broadcast_to(layer.structure.tissue_at(coords), tissue.shape)
        mask = new != Tissue.NONE
        allowed = layer.allowed(tissue, labels)
        if allowed is not None:
            mask &= allowed
        tissue[mask] = new[mask]
        if layer.label is not None:
            labels[mask] = layer.label
        space.tissue[index] = tissue
        space.labels[index] = labels
