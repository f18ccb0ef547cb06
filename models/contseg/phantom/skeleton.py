"""Bones: lumbar/lower thoracic spine and the lower ribs with their costal cartilages (anatomy frame, LPS mm)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .shapes import Box, Coords
from .tissues import Tissue

INF = np.inf


@dataclass(frozen=True)
class Spine:
    """Vertebral column along z: elliptic vertebral bodies (cortical shell and endplates, cancellous core) separated
    by discs every `pitch` mm, spinal canal (CSF), neural arch, pedicles, spinous and transverse processes."""

    body_y: float
    body_half_width: float
    body_half_depth: float
    pitch: float
    disc: float
    disc_z: float
    cortex: float

    @property
    def canal_y(self) -> float:
        """y (mm) of the spinal canal's centre."""
        return self.body_y + self.body_half_depth + 11.0

    def tissue_at(self, p: Coords) -> np.ndarray:
        x, y, z = p
        ax = np.abs(x)
        q = np.sqrt(
            (x / np.float32(self.body_half_width)) ** 2
            + ((y - np.float32(self.body_y)) / np.float32(self.body_half_depth)) ** 2
        )
        level = np.mod(z - np.float32(self.disc_z), np.float32(self.pitch))
        from_disc = np.minimum(level, np.float32(self.pitch) - level)  # mm from the nearest disc centre
        half_disc = self.disc / 2.0
        rc = np.sqrt(x * x + (y - np.float32(self.canal_y)) ** 2)
        arch_level = from_disc > half_disc + 3.0
        body = q <= 1.0
        conditions = [
            body & (from_disc < half_disc),
            body & ((from_disc < half_disc + self.cortex) | (q > 1.0 - self.cortex / self.body_half_depth)),
            body,
            rc <= 8.5,
            arch_level & (rc <= 14.0) & (y >= self.canal_y - 3.0),
            arch_level & (ax >= 5.0) & (ax <= 13.0) & (y >= self.body_y) & (y <= self.canal_y),
            (from_disc > half_disc + 6.0) & (ax <= 4.0) & (y >= self.canal_y + 12.0) & (y <= self.canal_y + 36.0),
            (from_disc > self.pitch / 3.0)
            & (ax >= 13.0)
            & (ax <= 38.0)
            & (np.abs(y - np.float32(self.canal_y)) <= 3.5),
        ]
        choices = [
            Tissue.INTERVERTEBRAL_DISC,
            Tissue.CORTICAL_BONE,
            Tissue.CANCELLOUS_BONE,
            Tissue.CSF,
            Tissue.CORTICAL_BONE,
            Tissue.CORTICAL_BONE,
            Tissue.CORTICAL_BONE,
            Tissue.CORTICAL_BONE,
        ]
        return np.select(conditions, choices, Tissue.NONE).astype(np.uint8)

    def box(self) -> Box:
        return (
            np.array([-46.0, self.body_y - self.body_half_depth - 1.0, -INF]),
            np.array([46.0, self.canal_y + 37.0, INF]),
        )


@dataclass(frozen=True)
class Ribs:
    """Ribs inside the muscle wall of the torso. Rib k starts beside the spine at height levels[k] (mm) and runs
    round the body, `drop` mm lower at the front, up to the angle reaches[k] from the posterior midline (rad);
    where cartilage[k], costal cartilage continues 0.5 rad further. Cortical shell around a cancellous core.
    The torso paints them (tissue_in_wall), since it already knows where its wall is."""

    levels: np.ndarray
    reaches: np.ndarray
    cartilage: np.ndarray
    drop: float
    half_height: float
    start: float = 0.6

    @property
    def centre_z(self) -> float:
        """Middle of the z range the ribs span (mm)."""
        return (float(self.levels.min()) - self.drop + float(self.levels.max())) / 2.0

    @property
    def half_span(self) -> float:
        """Half the z range the ribs span (mm)."""
        return (float(self.levels.max()) - float(self.levels.min()) + self.drop) / 2.0 + self.half_height

    def tissue_in_wall(self, x: np.ndarray, y: np.ndarray, z: np.ndarray, wall: np.ndarray) -> np.ndarray:
        """Tissue codes (0 where no rib) at wall points [N]; wall: fraction 0..1 across the muscle wall."""
        angle = np.arctan2(np.abs(x), y)  # 0 at the posterior midline, pi in front
        centre_z = np.float32(self.drop) * (1.0 - np.cos(angle)) / 2.0
        found = np.zeros(len(x), np.uint8)
        for level, reach, cartilage in zip(self.levels, self.reaches, self.cartilage):
            dz = np.abs(z - (np.float32(level) - centre_z))
            on = (dz < self.half_height) & (angle >= self.start)
            bone = on & (angle <= reach)
            cortical = bone & ((dz > self.half_height - 1.8) | (wall < 0.3) | (wall > 0.7))
            found[bone] = Tissue.CANCELLOUS_BONE
            found[cortical] = Tissue.CORTICAL_BONE
            if cartilage:
                found[on & (angle > reach) & (angle <= reach + 0.5)] = Tissue.CARTILAGE
        return found
