"""Synthetic abdominal CT phantom: deterministic per seed, with exact organ and liver-tumour labels.

generate_phantom(seed, shape, spacing, phase) -> Phantom (image int16 HU, labels uint8, tissues, RAS affine,
tumours); write_nifti(phantom, folder) and write_dicom_series(phantom, folder) write it. See docs/phantom.md.
Names are imported on first use, so that `python -m contseg.phantom` rejects bad arguments without loading scipy,
nibabel and pydicom.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "DEFAULT_SHAPE": "defaults",
    "DEFAULT_SPACING": "defaults",
    "PHASES": "defaults",
    "Phantom": "generate",
    "Tumour": "generate",
    "generate_phantom": "generate",
    "Tissue": "tissues",
    "write_dicom_series": "dicom_writer",
    "write_nifti": "nifti_writer",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_WHERE[name]}", __name__), name)
