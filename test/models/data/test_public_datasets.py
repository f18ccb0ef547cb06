"""BTCV, LiTS and MSD adapters on small synthetic folders in each dataset's distributed layout: the right pairs, the
dataset's label numbering mapped to catalogue classes (through to the training targets), clear errors on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from contseg.data import BTCVDataset, LiTSDataset, MSDDataset, build_dataset, encode_targets

SHAPE = (12, 10, 8)


def _write_case(image: Path, label: Path, values: dict[int, tuple[slice, slice, slice]], suffix_affine: float = 2.0) -> None:
    """A CT-like image (air around a 40 HU body) and a label map with ``values`` painted in the given boxes."""
    affine = np.diag([suffix_affine, suffix_affine, 3.0, 1.0])
    ct = np.full(SHAPE, -1000, dtype=np.int16)
    ct[2:10, 2:8, 1:7] = 40
    lab = np.zeros(SHAPE, dtype=np.uint8)
    for value, box in values.items():
        lab[box] = value
    image.parent.mkdir(parents=True, exist_ok=True)
    label.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(ct, affine), image)
    nib.save(nib.Nifti1Image(lab, affine), label)


LIVER_BOX = (slice(2, 6), slice(2, 6), slice(1, 5))
TUMOUR_BOX = (slice(3, 4), slice(3, 4), slice(2, 3))
SPLEEN_BOX = (slice(7, 9), slice(5, 7), slice(2, 4))


@pytest.mark.parametrize("layout", [("img", "label"), ("RawData/Training/img", "RawData/Training/label"), ("imagesTr", "labelsTr")])
def test_btcv_layouts_pair_img_and_label_by_number_with_btcv_numbering(tmp_path: Path, layout: tuple[str, str]) -> None:
    for n in (1, 2, 10):
        _write_case(tmp_path / layout[0] / f"img{n:04d}.nii.gz", tmp_path / layout[1] / f"label{n:04d}.nii.gz",
                    {6: LIVER_BOX, 1: SPLEEN_BOX, 5: TUMOUR_BOX})  # BTCV: 6 liver, 1 spleen, 5 esophagus
    dataset = build_dataset({"kind": "btcv", "root": str(tmp_path)}, tmp_path, "btcv")
    assert isinstance(dataset, BTCVDataset)
    assert [c.split("/")[-1] for c in dataset.case_ids()] == ["img0001", "img0002", "img0010"]
    case = dataset.load(dataset.case_ids()[2])
    assert case.class_map["liver"] == (6,) and case.class_map["esophagus"] == (5,) and len(case.class_map) == 13
    target = encode_targets(case.label, ["liver", "spleen", "esophagus", "liver tumour"], case.class_map)
    assert int((target[0] == 1).sum()) == 4 * 4 * 4 - 1  # the liver box minus the esophagus voxel painted over it
    assert int((target[1] == 1).sum()) == 2 * 2 * 2 and int((target[2] == 1).sum()) == 1
    assert bool((target[3] == -1).all())  # BTCV does not annotate tumours


def test_btcv_numbers_select_a_split_and_missing_ones_are_named(tmp_path: Path) -> None:
    for n in (1, 2, 3):
        _write_case(tmp_path / "img" / f"img{n:04d}.nii.gz", tmp_path / "label" / f"label{n:04d}.nii.gz", {6: LIVER_BOX})
    assert len(BTCVDataset("b", tmp_path, numbers=[3, 1]).case_ids()) == 2
    with pytest.raises(ValueError, match=r"no case numbered \[7\]"):
        BTCVDataset("b", tmp_path, numbers=[1, 7])
    with pytest.raises(FileNotFoundError, match="found none of the layouts"):
        BTCVDataset("b", tmp_path / "img")


def test_lits_finds_volumes_in_batch_folders_and_its_liver_target_includes_the_tumour(tmp_path: Path) -> None:
    _write_case(tmp_path / "Training Batch 1/volume-0.nii", tmp_path / "Training Batch 1/segmentation-0.nii", {1: LIVER_BOX})
    _write_case(tmp_path / "Training Batch 2/volume-28.nii.gz", tmp_path / "Training Batch 2/segmentation-28.nii.gz",
                {1: LIVER_BOX, 2: TUMOUR_BOX})
    dataset = build_dataset({"kind": "lits", "root": str(tmp_path)}, tmp_path, "lits")
    assert isinstance(dataset, LiTSDataset)
    assert dataset.case_ids() == ["Training Batch 1/volume-0", "Training Batch 2/volume-28"]
    case = dataset.load("Training Batch 2/volume-28")
    target = encode_targets(case.label, ["liver", "liver tumour", "spleen"], case.class_map)
    assert int((target[0] == 1).sum()) == 64 and int((target[1] == 1).sum()) == 1  # liver = liver + tumour
    assert bool((target[2] == -1).all())
    assert LiTSDataset("l", tmp_path, numbers=[28]).case_ids() == ["Training Batch 2/volume-28"]


def test_lits_volume_without_segmentation_is_refused(tmp_path: Path) -> None:
    _write_case(tmp_path / "volume-3.nii", tmp_path / "segmentation-3.nii", {1: LIVER_BOX})
    (tmp_path / "segmentation-3.nii").rename(tmp_path / "other.nii")
    with pytest.raises(ValueError, match=r"no segmentation-N for volumes \[3\]"):
        LiTSDataset("l", tmp_path)


def _msd_task(root: Path, labels: dict[str, str], modality: str = "CT") -> Path:
    task = root / "Task03_Liver"
    training = []
    for n in (0, 1):
        _write_case(task / f"imagesTr/liver_{n}.nii.gz", task / f"labelsTr/liver_{n}.nii.gz", {1: LIVER_BOX, 2: TUMOUR_BOX})
        training.append({"image": f"./imagesTr/liver_{n}.nii.gz", "label": f"./labelsTr/liver_{n}.nii.gz"})
    manifest = {"name": "Liver", "modality": {"0": modality}, "labels": labels, "training": training,
                "test": ["./imagesTs/liver_9.nii.gz"]}
    (task / "dataset.json").write_text(json.dumps(manifest))
    return task


def test_msd_task_reads_pairs_and_labels_from_dataset_json(tmp_path: Path) -> None:
    task = _msd_task(tmp_path, {"0": "background", "1": "liver", "2": "cancer"})
    dataset = build_dataset({"kind": "msd", "root": str(task)}, tmp_path, "msd-liver")
    assert isinstance(dataset, MSDDataset)
    assert dataset.case_ids() == ["imagesTr/liver_0", "imagesTr/liver_1"]
    case = dataset.load("imagesTr/liver_1")
    assert dict(case.class_map) == {"liver": (1,), "liver tumour": (2,)}  # "cancer" of Task03 is the liver tumour
    target = encode_targets(case.label, ["liver", "liver tumour"], case.class_map)
    assert int((target[0] == 1).sum()) == 64 and int((target[1] == 1).sum()) == 1
    assert tuple(case.image.shape) == tuple(case.label.shape) == (1, *SHAPE)


def test_msd_label_names_map_by_synonym_or_by_the_config_and_unknown_ones_are_refused(tmp_path: Path) -> None:
    task = _msd_task(tmp_path, {"0": "background", "1": "Hepar", "2": "Vessel"})
    with pytest.raises(ValueError, match=r"label 2 'Vessel' is no catalogue class; map it .* or drop it"):
        MSDDataset("m", task)
    dropped = MSDDataset("m", task, labels={"Vessel": None})
    assert dict(dropped.load(dropped.case_ids()[0]).class_map) == {"liver": (1,)}  # synonym "hepar"
    mapped = MSDDataset("m", task, labels={"Vessel": "portal and splenic vein"})
    assert dict(mapped.load(mapped.case_ids()[0]).class_map) == {"liver": (1,), "portal and splenic vein": (2,)}
    with pytest.raises(ValueError, match=r"labels \['Vesel'\] given in 'labels' are not in dataset.json"):
        MSDDataset("m", task, labels={"Vesel": None})
    with pytest.raises(ValueError, match="maps to 'brain', which is not a catalogue class"):
        MSDDataset("m", task, labels={"Vessel": "brain"})


def test_msd_mri_task_and_missing_files_are_refused(tmp_path: Path) -> None:
    task = _msd_task(tmp_path, {"0": "background", "1": "liver"}, modality="MRI")
    with pytest.raises(ValueError, match="is not CT"):
        MSDDataset("m", task)
    task = _msd_task(tmp_path / "b", {"0": "background", "1": "liver", "2": "cancer"})
    (task / "labelsTr/liver_1.nii.gz").unlink()
    with pytest.raises(FileNotFoundError, match="names files that are missing: .*labelsTr/liver_1.nii.gz"):
        MSDDataset("m", task)
    (task / "dataset.json").write_text("{}")
    with pytest.raises(ValueError, match="not an MSD dataset.json"):
        MSDDataset("m", task)
