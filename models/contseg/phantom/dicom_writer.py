"""DICOM CT Image Storage series: one file per axial slice, Explicit VR Little Endian, deterministic UIDs.

Slice k (k = 0 most inferior) is IM{k+1:04d}.dcm. Its pixel (row r, column c) is voxel (i=c, j=r, k): rows run
anterior -> posterior, columns patient right -> left, so ImageOrientationPatient is 1\\0\\0\\0\\1\\0 and
ImagePositionPatient is the LPS position of voxel (0, 0, k), the same point the NIfTI affine gives (with x and y
negated, RAS vs LPS). Pixels are stored unsigned as HU + 1024 with RescaleIntercept -1024.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian
from pydicom.valuerep import format_number_as_ds

from .files import replace_folder_atomic
from .generate import Phantom

GENERATOR_VERSION = "1"
_NAMESPACE = uuid.UUID("6f6e8f1c-52d5-4c59-9d0b-5c7e1b0a7c11")  # fixed: UIDs must never change for a seed
_DATE = "20240101"
_TIME = "120000"
_RESCALE_INTERCEPT = -1024


def derived_uid(text: str) -> str:
    """A UID under the 2.25 (UUID) root, derived from text: 2.25.<decimal of uuid5(text)> (at most 44 chars)."""
    return f"2.25.{uuid.uuid5(_NAMESPACE, text).int}"


@dataclass(frozen=True)
class SeriesUids:
    """UIDs of one phantom series. Study and frame of reference depend on the seed only (the anatomy and its world
    position do not depend on the grid); the series and its instances also on shape, spacing and phase."""

    study: str
    series: str
    frame_of_reference: str
    instance_prefix: str

    @staticmethod
    def for_phantom(phantom: Phantom) -> SeriesUids:
        patient = f"contseg-phantom/v{GENERATOR_VERSION}/seed={phantom.seed}"
        series = f"{patient}/shape={phantom.shape}/spacing={phantom.spacing}/phase={phantom.phase}"
        return SeriesUids(
            derived_uid(f"{patient}/study"),
            derived_uid(f"{series}/series"),
            derived_uid(f"{patient}/frame-of-reference"),
            f"{series}/instance=",
        )

    def instance(self, number: int) -> str:
        """SOP Instance UID of instance `number` (1-based)."""
        return derived_uid(f"{self.instance_prefix}{number}")


def _ds(value: float) -> str:
    """A decimal string (DS, at most 16 characters) for value."""
    return format_number_as_ds(float(round(value, 6)))


def _series_dataset(phantom: Phantom, uids: SeriesUids) -> Dataset:
    """Attributes shared by every slice: Patient, General Study, General Series, Frame of Reference, General
    Equipment, Contrast/Bolus (contrast phases), CT Image and VOI LUT modules."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = CTImageStorage
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = _DATE
    ds.StudyTime = ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = _TIME
    ds.AccessionNumber = f"PH{phantom.seed}"
    ds.Modality = "CT"
    ds.Manufacturer = "contseg"
    ds.ManufacturerModelName = "contseg synthetic phantom"
    ds.SoftwareVersions = f"phantom generator {GENERATOR_VERSION}"
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = f"Synthetic abdominal CT phantom, seed {phantom.seed}"
    ds.SeriesDescription = f"Phantom {phantom.phase} " + "x".join(f"{s:g}" for s in phantom.spacing) + " mm"
    ds.PatientName = f"Phantom^Seed{phantom.seed}"
    ds.PatientID = f"PHANTOM-{phantom.seed:04d}"
    ds.PatientBirthDate = ""
    ds.PatientSex = "O"
    ds.BodyPartExamined = "ABDOMEN"
    ds.SliceThickness = _ds(phantom.spacing[2])
    ds.KVP = "120"
    ds.PatientPosition = "HFS"
    if phantom.phase != "non-contrast":
        ds.ContrastBolusAgent = "Iodinated contrast"
        ds.ContrastBolusRoute = "IV"
    ds.StudyInstanceUID = uids.study
    ds.SeriesInstanceUID = uids.series
    ds.StudyID = "1"
    ds.SeriesNumber = 1
    ds.AcquisitionNumber = 1
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.FrameOfReferenceUID = uids.frame_of_reference
    ds.PositionReferenceIndicator = ""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = phantom.shape[1]
    ds.Columns = phantom.shape[0]
    ds.PixelSpacing = [_ds(phantom.spacing[1]), _ds(phantom.spacing[0])]  # row spacing (y), column spacing (x)
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.WindowCenter = "40"
    ds.WindowWidth = "400"
    ds.WindowCenterWidthExplanation = "ABDOMEN"
    ds.RescaleIntercept = str(_RESCALE_INTERCEPT)
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    return ds


def _slice_dataset(series: Dataset, phantom: Phantom, uids: SeriesUids, k: int) -> Dataset:
    """The dataset of slice k (0-based, inferior first): position, numbers and pixel data."""
    ds = Dataset()
    ds.update(series)
    number = k + 1
    ds.SOPInstanceUID = uids.instance(number)
    ds.InstanceNumber = number
    position = phantom.lps(np.array([0, 0, k]))
    ds.ImagePositionPatient = [_ds(v) for v in position]
    ds.SliceLocation = _ds(position[2])
    stored = (phantom.image[:, :, k].T.astype(np.int32) - _RESCALE_INTERCEPT).astype("<u2")
    ds.PixelData = np.ascontiguousarray(stored).tobytes()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = derived_uid("contseg-phantom/implementation")
    meta.ImplementationVersionName = f"CONTSEG_PH_{GENERATOR_VERSION}"
    ds.file_meta = meta
    ds.preamble = b"\0" * 128
    return ds


def write_dicom_series(phantom: Phantom, directory: Path) -> list[Path]:
    """Write the series into `directory` (created, or replaced as a whole): IM0001.dcm ... one file per slice."""
    directory = Path(directory)
    uids = SeriesUids.for_phantom(phantom)
    series = _series_dataset(phantom, uids)
    names = [f"IM{k + 1:04d}.dcm" for k in range(phantom.shape[2])]

    def fill(folder: Path) -> None:
        for k, name in enumerate(names):
            _slice_dataset(series, phantom, uids, k).save_as(folder / name, enforce_file_format=True)

    replace_folder_atomic(directory, fill)
    return [directory / name for name in names]
