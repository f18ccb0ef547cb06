"""Synthetic abdominal CT phantom: deterministic per seed, with exact organ and liver-tumour labels.

generate_phantom(seed, shape, spacing, phase) -> Phantom (image int16 HU, labels uint8, tissues, RAS affine,
tumours); write_nifti(phantom, folder) and write_dicom_series(phantom, folder) write it. See docs/phantom.md.
"""

from .dicom_writer import write_dicom_series
from .generate import DEFAULT_SHAPE, DEFAULT_SPACING, Phantom, Tumour, generate_phantom
from .nifti_writer import write_nifti
from .tissues import PHASES, Tissue

__all__ = [
    "DEFAULT_SHAPE",
    "DEFAULT_SPACING",
    "PHASES",
    "Phantom",
    "Tissue",
    "Tumour",
    "generate_phantom",
    "write_dicom_series",
    "write_nifti",
]
