"""Determinism: a seed fixes every output byte; seeds differ; the anatomy does not depend on the voxel grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from contseg.phantom import generate_phantom, write_dicom_series, write_nifti


def _write(
    seed: int, folder: Path, shape: tuple[int, int, int], spacing: tuple[float, float, float]
) -> dict[str, bytes]:
    phantom = generate_phantom(seed, shape, spacing)
    write_nifti(phantom, folder)
    write_dicom_series(phantom, folder / "dicom")
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_generated_twice_writes_byte_identical_nifti_and_dicom_files(tmp_path: Path, small_geometry) -> None:
    first = _write(5, tmp_path / "a", *small_geometry)
    second = _write(5, tmp_path / "b", *small_geometry)
    slices = small_geometry[0][2]
    assert sorted(first) == sorted(second)
    assert {"image.nii.gz", "labels.nii.gz", "dicom/IM0001.dcm", f"dicom/IM{slices:04d}.dcm"} <= set(first)
    assert len(first) == 2 + slices
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []


def test_different_seeds_give_different_images_labels_and_uids(small_phantom, tmp_path: Path) -> None:
    a, b = small_phantom(1), small_phantom(2)
    assert not np.array_equal(a.image, b.image)
    assert not np.array_equal(a.labels, b.labels)
    write_dicom_series(a, tmp_path / "a")
    write_dicom_series(b, tmp_path / "b")
    assert (tmp_path / "a" / "IM0001.dcm").read_bytes() != (tmp_path / "b" / "IM0001.dcm").read_bytes()


def test_anatomy_depends_on_the_seed_only_not_on_shape_or_spacing(small_phantom) -> None:
    coarse = small_phantom(2)
    fine = generate_phantom(2, (128, 112, 64), (3.0, 3.0, 4.875))
    assert [t.centre_ras for t in coarse.tumours] == [t.centre_ras for t in fine.tumours]
    assert len(coarse.tumours) > 0
    # Same field of view on both grids: the world position of the grid's centre is the same.
    centre = lambda p: p.affine[:3, :3] @ ((np.array(p.shape) - 1) / 2.0) + p.affine[:3, 3]  # noqa: E731
    np.testing.assert_allclose(centre(coarse), centre(fine), atol=1e-9)
    coarse_ml, fine_ml = coarse.label_volumes_ml(), fine.label_volumes_ml()
    for organ in ("liver", "spleen", "right kidney", "left kidney", "stomach"):
        assert abs(coarse_ml[organ] - fine_ml[organ]) < 0.1 * fine_ml[organ], organ
