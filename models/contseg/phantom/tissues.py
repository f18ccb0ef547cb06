"""Tissue classes of the phantom and their Hounsfield values per contrast phase.

The tissue map (uint8, one code per voxel) is the phantom's ground truth below the label map: organs made of several
tissues (kidney cortex and medulla, stomach wall, fluid and gas) and unlabelled tissues (fat, muscle, bone, lung).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from .defaults import PHASES


class Tissue(IntEnum):
    """Tissue code stored in the tissue map; NONE (0) means "not painted" inside the generator."""

    NONE = 0
    AIR = 1
    LUNG = 2
    SKIN = 3
    SUBCUTANEOUS_FAT = 4
    VISCERAL_FAT = 5
    MUSCLE = 6
    DIAPHRAGM = 7
    CORTICAL_BONE = 8
    CANCELLOUS_BONE = 9
    INTERVERTEBRAL_DISC = 10
    CARTILAGE = 11
    CSF = 12
    LIVER = 13
    LIVER_TUMOUR = 14
    HEPATIC_VEIN = 15
    SPLEEN = 16
    KIDNEY_CORTEX = 17
    KIDNEY_MEDULLA = 18
    GALLBLADDER_BILE = 19
    STOMACH_WALL = 20
    STOMACH_FLUID = 21
    GAS = 22
    PANCREAS = 23
    ADRENAL = 24
    ARTERIAL_BLOOD = 25
    CAVAL_BLOOD = 26
    PORTAL_BLOOD = 27
    HEART_BLOOD = 28
    MYOCARDIUM = 29
    TABLE = 30
    TABLE_FOAM = 31
    MEDIASTINAL_FAT = 32
    BOWEL_WALL = 33
    BOWEL_FLUID = 34
    FECES = 35


# Mean HU per phase (non-contrast, arterial, portal venous) and texture amplitude (HU, standard deviation of the
# smooth parenchymal texture). Literature-typical values for 100-120 kVp abdominal CT.
HU_TABLE: dict[Tissue, tuple[float, float, float, float]] = {
    Tissue.AIR: (-1000, -1000, -1000, 0),
    Tissue.LUNG: (-850, -850, -850, 35),
    Tissue.SKIN: (30, 35, 40, 5),
    Tissue.SUBCUTANEOUS_FAT: (-105, -105, -105, 10),
    Tissue.VISCERAL_FAT: (-95, -95, -95, 14),
    Tissue.MEDIASTINAL_FAT: (-90, -90, -90, 12),
    Tissue.MUSCLE: (50, 55, 60, 6),
    Tissue.DIAPHRAGM: (50, 60, 65, 6),
    Tissue.CORTICAL_BONE: (600, 600, 600, 60),
    Tissue.CANCELLOUS_BONE: (200, 200, 200, 35),
    Tissue.INTERVERTEBRAL_DISC: (85, 90, 95, 8),
    Tissue.CARTILAGE: (120, 120, 120, 15),
    Tissue.CSF: (12, 12, 12, 4),
    Tissue.LIVER: (58, 75, 110, 6),
    Tissue.LIVER_TUMOUR: (38, 50, 62, 8),
    Tissue.HEPATIC_VEIN: (42, 60, 150, 5),
    Tissue.SPLEEN: (48, 115, 120, 10),
    Tissue.KIDNEY_CORTEX: (32, 185, 170, 8),
    Tissue.KIDNEY_MEDULLA: (30, 70, 160, 8),
    Tissue.GALLBLADDER_BILE: (8, 8, 8, 3),
    Tissue.STOMACH_WALL: (42, 95, 85, 6),
    Tissue.STOMACH_FLUID: (12, 12, 12, 4),
    Tissue.GAS: (-960, -960, -960, 20),
    Tissue.BOWEL_WALL: (40, 90, 80, 6),
    Tissue.BOWEL_FLUID: (15, 15, 15, 5),
    Tissue.FECES: (-40, -40, -40, 90),
    Tissue.PANCREAS: (42, 120, 95, 10),
    Tissue.ADRENAL: (30, 65, 60, 5),
    Tissue.ARTERIAL_BLOOD: (42, 320, 165, 5),
    Tissue.CAVAL_BLOOD: (40, 75, 135, 5),
    Tissue.PORTAL_BLOOD: (40, 140, 180, 5),
    Tissue.HEART_BLOOD: (42, 300, 150, 5),
    Tissue.MYOCARDIUM: (40, 120, 100, 6),
    Tissue.TABLE: (250, 250, 250, 10),
    Tissue.TABLE_FOAM: (-900, -900, -900, 10),
}

_UNJITTERED = {Tissue.AIR, Tissue.LUNG, Tissue.GAS, Tissue.TABLE, Tissue.TABLE_FOAM}
_BONE = {Tissue.CORTICAL_BONE, Tissue.CANCELLOUS_BONE}


def hu_lookup(phase: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per-seed HU means and texture amplitudes, indexed by tissue code.

    Enhancement (phase value minus non-contrast value) is scaled by one random contrast strength in [0.85, 1.15];
    each tissue then gets a small random offset (bone a larger one). The liver tumour keeps its table distance below
    the liver, so it stays hypodense in every phase.
    Returns (means [256] float32, texture amplitudes [256] float32).
    """
    if phase not in PHASES:
        raise ValueError(f"unknown contrast phase {phase!r}; expected one of {', '.join(PHASES)}")
    column = PHASES.index(phase)
    strength = rng.uniform(0.85, 1.15)
    means = np.zeros(256, np.float32)
    texture = np.zeros(256, np.float32)
    for tissue, row in HU_TABLE.items():
        enhancement = (row[column] - row[0]) * strength
        sd = 40.0 if tissue in _BONE else 0.0 if tissue in _UNJITTERED else 3.0
        means[tissue] = row[0] + enhancement + rng.normal(0.0, sd)
        texture[tissue] = row[3]
    liver_gap = HU_TABLE[Tissue.LIVER][column] - HU_TABLE[Tissue.LIVER_TUMOUR][column]
    means[Tissue.LIVER_TUMOUR] = means[Tissue.LIVER] - liver_gap * rng.uniform(0.8, 1.3)
    return means, texture
