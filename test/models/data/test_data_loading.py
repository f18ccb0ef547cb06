"""Dataset adapters and pre-processing on real files: affine alignment, CT check, windowing, config errors."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch

from contseg.data import NiftiPairDataset, PhantomDataset, build_dataset, catalogue_class_map, preprocess_case, shared_data_root
from contseg.data.datasets import load_image_and_label

SHARED = shared_data_root()
needs_shared = pytest.mark.skipif(not (SHARED / "ct").is_dir(), reason="shared data folder not present")


@needs_shared
def test_dicom_series_label_with_opposite_row_axis_is_aligned_by_affine() -> None:
    case = load_image_and_label(
        SHARED / "dicom/totalseg-20slice-raw", SHARED / "dicom/totalseg-20slice-labels.nii.gz", "dicom", {"liver": (5,)}
    )
    raw = np.asarray(nib.load(SHARED / "dicom/totalseg-20slice-labels.nii.gz").dataobj)
    assert case.label.shape == (1, 512, 512, 20)
    assert int((case.label == 5).sum()) == int((raw == 5).sum())  # same grid, only re-ordered
    assert not torch.equal(case.label[0], torch.from_numpy(raw.astype(np.int16)))  # rows really are flipped
    liver_hu = case.image[case.label == 5]
    assert 0 < float(liver_hu.float().median()) < 200  # liver parenchyma HU: labels sit on the liver


@needs_shared
def test_mr_volume_is_refused_as_not_ct() -> None:
    mr = SHARED / "ct/totalseg-example/mr-not-ct.nii.gz"
    dataset = NiftiPairDataset("mr", [(mr, mr)], {"liver": (5,)})
    with pytest.raises(ValueError, match="do not look like CT"):
        preprocess_case(dataset.load(dataset.case_ids()[0]), (3.0, 3.0, 3.0))


def test_phantom_preprocessing_windows_to_unit_range_in_ras_on_the_new_spacing() -> None:
    case = PhantomDataset("p", [7], (48, 40, 32), (6.0, 6.0, 6.0)).load("phantom-7")
    prepared = preprocess_case(case, (8.0, 8.0, 8.0))
    assert 0.0 <= float(prepared.image.min()) and float(prepared.image.max()) <= 1.0
    assert np.allclose(np.abs(np.diag(np.asarray(prepared.image.affine))[:3]), 8.0)
    assert np.all(np.diag(np.asarray(prepared.image.affine))[:3] > 0)  # RAS: +x is left, +y anterior, +z superior
    assert prepared.label.shape == prepared.image.shape
    assert set(prepared.class_map) <= set(catalogue_class_map()) and "esophagus" not in prepared.class_map


def test_only_view_restricts_the_annotated_classes() -> None:
    dataset = PhantomDataset("p", [7], (48, 40, 32), (6.0, 6.0, 6.0)).only(["liver tumour"])
    assert dataset.load("phantom-7").annotated_classes == ("liver tumour",)


def test_dataset_config_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown kind 'kits'"):
        build_dataset({"kind": "kits"}, tmp_path, "x")
    with pytest.raises(ValueError, match="missing key 'root'"):
        build_dataset({"kind": "btcv"}, tmp_path, "x")
    with pytest.raises(ValueError, match=r"\(lits\): unknown keys \['number'\]; allowed: \['numbers', 'root'\]"):
        build_dataset({"kind": "lits", "root": str(tmp_path), "number": [3]}, tmp_path, "x")
    with pytest.raises(ValueError, match="missing key 'seeds'"):
        build_dataset({"kind": "phantom", "shape": [8, 8, 8], "spacing": [1, 1, 1]}, tmp_path, "x")
    bad = tmp_path / "map.json"
    bad.write_text('{"labels": {"1": "brain"}}')
    with pytest.raises(ValueError, match="'brain', which is not a catalogue class"):
        build_dataset({"kind": "nifti-pairs", "pairs": [["a", "b"]], "class_map": str(bad)}, tmp_path, "x")
