"""NIfTI-1 output (image.nii.gz, labels.nii.gz) with byte-identical gzip streams for identical phantoms."""

from __future__ import annotations

import gzip
from pathlib import Path

import nibabel as nib
import numpy as np

from .files import write_bytes_atomic
from .generate import Phantom


def nifti_gz_bytes(array: np.ndarray, affine: np.ndarray, description: str, intent: str | None = None) -> bytes:
    """A .nii.gz file's bytes: array [X, Y, Z] with qform and sform (scanner, code 1) = affine [4, 4] (RAS mm).

    gzip is written with mtime 0 and no file name, so equal input gives equal bytes.
    """
    image = nib.Nifti1Image(array, affine)
    image.set_qform(affine, code=1)
    image.set_sform(affine, code=1)
    header = image.header
    header.set_xyzt_units("mm", "sec")
    header["descrip"] = description.encode("ascii")[:79]
    if intent is not None:
        header.set_intent(intent)
    return gzip.compress(image.to_bytes(), compresslevel=6, mtime=0)


def write_nifti(phantom: Phantom, directory: Path) -> tuple[Path, Path]:
    """Write directory/image.nii.gz (int16 HU) and directory/labels.nii.gz (uint8, NIfTI intent "label")."""
    directory = Path(directory)
    what = f"contseg phantom seed {phantom.seed} {phantom.phase}"
    image_path, labels_path = directory / "image.nii.gz", directory / "labels.nii.gz"
    write_bytes_atomic(image_path, nifti_gz_bytes(phantom.image, phantom.affine, what))
    write_bytes_atomic(labels_path, nifti_gz_bytes(phantom.labels, phantom.affine, what + " labels", intent="label"))
    return image_path, labels_path
