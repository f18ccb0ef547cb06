"""DICOM output: a valid CT Image Storage series whose voxels and world geometry equal the NIfTI's."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

DCIODVFY = "/usr/bin/dciodvfy"


def _read_series(folder: Path) -> tuple[np.ndarray, list[pydicom.Dataset]]:
    """HU volume [X, Y, Z] (x = column, y = row, z = slice along the normal) and the slices sorted by position."""
    slices = [pydicom.dcmread(path) for path in folder.glob("*.dcm")]
    row, column = (
        np.array(slices[0].ImageOrientationPatient[:3], float),
        np.array(slices[0].ImageOrientationPatient[3:], float),
    )
    normal = np.cross(row, column)
    slices.sort(key=lambda ds: float(np.dot(np.array(ds.ImagePositionPatient, float), normal)))
    hu = [ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept) for ds in slices]
    return np.stack(hu, axis=-1).transpose(1, 0, 2), slices


def _dicom_lps(slices: list[pydicom.Dataset], i: int, j: int, k: int) -> np.ndarray:
    """LPS position of column i, row j of the k-th sorted slice (DICOM PS3.3 C.7.6.2.1.1)."""
    ds = slices[k]
    row_dir, col_dir = np.array(ds.ImageOrientationPatient[:3], float), np.array(ds.ImageOrientationPatient[3:], float)
    row_spacing, column_spacing = (float(v) for v in ds.PixelSpacing)
    return np.array(ds.ImagePositionPatient, float) + i * column_spacing * row_dir + j * row_spacing * col_dir


def test_dicom_series_read_back_equals_nifti_voxels_and_world_positions(written_phantom) -> None:
    phantom, folder = written_phantom
    dicom_hu, slices = _read_series(folder / "dicom")
    nifti = nib.load(folder / "image.nii.gz")
    nifti_hu = np.asarray(nifti.dataobj)
    assert dicom_hu.shape == nifti_hu.shape == phantom.shape
    np.testing.assert_array_equal(dicom_hu, nifti_hu)
    np.testing.assert_array_equal(nifti_hu, phantom.image)
    for i, j, k in [(17, 41, 23), (0, 0, 0), (phantom.shape[0] - 1, 5, phantom.shape[2] - 1)]:
        ras = nifti.affine @ np.array([i, j, k, 1.0])
        np.testing.assert_allclose(_dicom_lps(slices, i, j, k), [-ras[0], -ras[1], ras[2]], atol=1e-3)


def test_nifti_labels_share_the_image_grid_and_affine(written_phantom) -> None:
    phantom, folder = written_phantom
    image, labels = nib.load(folder / "image.nii.gz"), nib.load(folder / "labels.nii.gz")
    np.testing.assert_allclose(labels.affine, image.affine)
    np.testing.assert_allclose(image.affine, phantom.affine, atol=1e-4)
    assert labels.get_data_dtype() == np.uint8 and image.get_data_dtype() == np.int16
    np.testing.assert_array_equal(np.asarray(labels.dataobj), phantom.labels)
    assert nib.aff2axcodes(image.affine) == ("L", "P", "S")
    assert int(image.header["sform_code"]) == 1 and int(image.header["qform_code"]) == 1


def test_dicom_attributes_identify_patient_study_series_and_instances(written_phantom) -> None:
    phantom, folder = written_phantom
    files = sorted((folder / "dicom").glob("*.dcm"))
    assert [f.name for f in files] == [f"IM{k:04d}.dcm" for k in range(1, phantom.shape[2] + 1)]
    slices = [pydicom.dcmread(f) for f in files]
    first = slices[0]
    assert first.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert first.SOPClassUID == CTImageStorage and first.Modality == "CT"
    assert str(first.PatientName) == "Phantom^Seed7" and first.PatientID == "PHANTOM-0007"
    assert "seed 7" in first.StudyDescription
    assert (first.Rows, first.Columns) == (phantom.shape[1], phantom.shape[0])
    assert [float(v) for v in first.PixelSpacing] == [phantom.spacing[1], phantom.spacing[0]]
    assert float(first.SliceThickness) == phantom.spacing[2]
    for key in ("StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID"):
        assert len({getattr(ds, key) for ds in slices}) == 1 and getattr(first, key).startswith("2.25.")
    assert len({ds.SOPInstanceUID for ds in slices}) == len(slices)
    assert all(ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID for ds in slices)
    assert [ds.InstanceNumber for ds in slices] == list(range(1, len(slices) + 1))
    z = [float(ds.ImagePositionPatient[2]) for ds in slices]
    np.testing.assert_allclose(np.diff(z), phantom.spacing[2], atol=1e-4)


def test_dciodvfy_reports_no_errors_or_warnings_on_a_written_slice(written_phantom) -> None:
    assert shutil.which(DCIODVFY), "dicom3tools (dciodvfy) is not installed; .ci/setup installs it"
    _, folder = written_phantom
    for name in ("IM0001.dcm", "IM0024.dcm"):
        result = subprocess.run([DCIODVFY, str(folder / "dicom" / name)], capture_output=True, text=True, check=False)
        lines = (result.stdout + result.stderr).splitlines()
        assert lines and "CTImage" in lines[0]
        problems = [line for line in lines if line.startswith(("Error", "Warning"))]
        assert problems == [], "\n".join(problems)
