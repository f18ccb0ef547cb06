"""Benchmark CT series as DICOM files: the project's phantom at 3 mm and 1.5 mm, and a real CT resampled to
512x512x300 voxels (the size of a typical clinical abdomen series).

Usage: python make_volumes.py OUT_DIR [CT_NIFTI]

Writes OUT_DIR/<name>/IM0001.dcm ... (Explicit VR Little Endian, one file per slice) and OUT_DIR/volumes.json
[{name, dims [X, Y, Z], spacing [sx, sy, sz] mm, source}]. The CT (default ../shared/data/ct/totalseg-example/ct.nii.gz,
122x101x112 at 3 mm) is resampled trilinearly onto 512x512x300 voxels spanning the same field of view and written
with the phantom's DICOM writer (a Phantom record holding the CT's HU and affine, no labels); when the file is
missing that volume is left out and volumes.json says why.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage

from contseg.phantom import Phantom, generate_phantom, write_dicom_series

PHANTOM_SEED = 7
# The phantom's default field of view (384 x 320 x 320 mm) sampled at two spacings.
PHANTOM_FOV_MM = (384.0, 320.0, 320.0)
CT_DIMS = (512, 512, 300)


def phantom_at(spacing_mm: float) -> Phantom:
    """The benchmark phantom on an isotropic grid of ``spacing_mm``: image int16 [X, Y, Z] HU."""
    shape = tuple(int(round(f / spacing_mm)) for f in PHANTOM_FOV_MM)
    return generate_phantom(PHANTOM_SEED, shape=shape, spacing=(spacing_mm,) * 3, phase="portal-venous")  # type: ignore[arg-type]


def resampled_ct(path: Path) -> Phantom:
    """The CT at ``path`` resampled (trilinear) to CT_DIMS voxels over the same field of view, as a label-free
    Phantom record so that the phantom's DICOM writer can write it: image int16 [512, 512, 300] HU."""
    nifti = nib.as_closest_canonical(nib.load(str(path)))
    hu = np.asarray(nifti.dataobj, dtype=np.float32)
    zoom = [n / o for n, o in zip(CT_DIMS, hu.shape)]
    image = np.rint(ndimage.zoom(hu, zoom, order=1, grid_mode=True, mode="nearest")).astype(np.int16)
    affine = nifti.affine.copy()
    # grid_mode: voxel edges stay aligned, so voxel i's centre moves to (i + 0.5) / zoom - 0.5 old voxels.
    scale = np.array([1.0 / z for z in zoom])
    affine[:3, 3] = nifti.affine[:3, :3] @ (0.5 * scale - 0.5) + nifti.affine[:3, 3]
    affine[:3, :3] = nifti.affine[:3, :3] * scale
    spacing = tuple(float(s) for s in np.linalg.norm(affine[:3, :3], axis=0))
    empty = np.zeros(image.shape, np.uint8)
    return Phantom(
        seed=0, phase="portal-venous", image=image, labels=empty, tissues=empty, affine=affine, spacing=spacing, tumours=()
    )


def main(out: Path, ct_path: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, object]] = []
    volumes = [("phantom-3mm", lambda: phantom_at(3.0), "phantom"), ("phantom-1.5mm", lambda: phantom_at(1.5), "phantom")]
    if ct_path.is_file():
        volumes.append(("ct-512x512x300", lambda: resampled_ct(ct_path), f"{ct_path.name} resampled"))
    else:
        entries.append({"name": "ct-512x512x300", "missing": f"{ct_path} does not exist"})
    for name, make, source in volumes:
        volume = make()
        write_dicom_series(volume, out / name)
        entries.append({"name": name, "dims": list(volume.shape), "spacing": [round(s, 4) for s in volume.spacing], "source": source})
    (out / "volumes.json").write_text(json.dumps(entries, indent=2))


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    repo = Path(__file__).resolve().parents[2]
    default_ct = repo.parent / "shared" / "data" / "ct" / "totalseg-example" / "ct.nii.gz"
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) == 3 else default_ct)
