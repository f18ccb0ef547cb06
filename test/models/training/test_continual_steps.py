"""Two real (tiny) continual steps end to end.

Step 1 trains liver + spleen on a phantom stored as NIfTI files; those files are then DELETED, so step 2 can only
succeed if it never opens step 1's data. Step 2 is head-only (liver tumour on another phantom) with pseudo labels.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch

from contseg.data import NiftiPairDataset, PhantomDataset, catalogue_class_map, preprocess_case
from contseg.network import load_checkpoint
from contseg.phantom import generate_phantom
from contseg.training.config import step_from_mapping
from contseg.training.pseudo_labels import pseudo_labels
from contseg.training.runtime import init_distributed
from contseg.training.step import build_model, prepare_cases, run_step, step_sources

SHAPE, SPACING = (48, 40, 32), (6.0, 6.0, 6.0)
PRE = {"spacing": [8.0, 8.0, 8.0], "patch": [64, 64, 64], "overlap": 0.25}
TRAIN = {"iterations": 1, "batch_size": 1, "log_every": 1, "checkpoint_every": 1, "threads": 1}


def _write_nifti_phantom(seed: int, folder: Path) -> tuple[Path, Path]:
    p = generate_phantom(seed, SHAPE, SPACING)
    folder.mkdir(parents=True)
    nib.save(nib.Nifti1Image(p.image.astype(np.int16), p.affine), folder / "ct.nii.gz")
    nib.save(nib.Nifti1Image(p.labels.astype(np.uint8), p.affine), folder / "labels.nii.gz")
    return folder / "ct.nii.gz", folder / "labels.nii.gz"


@pytest.fixture(scope="module")
def steps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("continual")
    step1_data = root / "step1-data"
    pair = _write_nifti_phantom(3, step1_data)
    step1 = step_from_mapping(
        {"name": "organs", "dataset": {"kind": "nifti-pairs"}, "new_classes": ["liver", "spleen"],
         "model": {"feature_size": 12}, "preprocess": PRE, "train": TRAIN},
        root,
    )
    ckpt1 = run_step(step1, NiftiPairDataset("organs-data", [pair], catalogue_class_map()), root / "s1", seed=0)
    shutil.rmtree(step1_data)  # step 2 must not need it
    step2 = step_from_mapping(
        {"name": "tumour", "dataset": {"kind": "phantom"}, "new_classes": ["liver tumour"], "mode": "head-only",
         "previous": str(ckpt1), "preprocess": PRE, "train": TRAIN},
        root,
    )
    tumour_data = PhantomDataset("tumour-data", [102], SHAPE, SPACING)
    ckpt2 = run_step(step2, tumour_data, root / "s2", seed=0)
    return {"ckpt1": ckpt1, "ckpt2": ckpt2, "step2": step2, "tumour_data": tumour_data}


def test_step_two_trains_after_step_one_data_is_gone_and_records_the_lineage(steps: dict[str, object]) -> None:
    model, ckpt = load_checkpoint(steps["ckpt2"])  # type: ignore[arg-type]
    assert model.class_names == ["liver", "spleen", "liver tumour"]
    assert [s["name"] for s in ckpt["lineage"]] == ["organs", "tumour"]
    assert ckpt["lineage"][1]["cases"] == ["phantom-102"] and ckpt["lineage"][1]["mode"] == "head-only"
    assert ckpt["embeddings_kind"] == "clip" and "training" not in ckpt
    assert not (Path(steps["ckpt2"]).parent / "last.pt").exists()  # type: ignore[arg-type]


def test_head_only_step_leaves_old_class_outputs_bit_identical(steps: dict[str, object]) -> None:
    old, _ = load_checkpoint(steps["ckpt1"])  # type: ignore[arg-type]
    new, _ = load_checkpoint(steps["ckpt2"])  # type: ignore[arg-type]
    for name, tensor in old.state_dict().items():
        assert torch.equal(tensor, new.state_dict()[name]), name
    x = torch.rand(1, 1, 64, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(old(x), new(x, ["liver", "spleen"]))


def test_old_classes_are_supervised_by_the_previous_models_predictions(steps: dict[str, object]) -> None:
    step2 = steps["step2"]
    ctx = init_distributed()
    model, previous, _ = build_model(step2, ctx)  # type: ignore[arg-type]
    assert previous is not None
    (case,) = prepare_cases(step2, step_sources(step2, steps["tumour_data"]), model, previous, ctx)  # type: ignore[arg-type]
    raw = steps["tumour_data"].load("phantom-102")  # type: ignore[attr-defined]
    prepared = preprocess_case(raw, PRE["spacing"])
    expected_old = pseudo_labels(previous, prepared.image, PRE["patch"], PRE["overlap"]).to(torch.int8)
    tumour = case.target[2] == 1
    assert int(tumour.sum()) == int((prepared.label[0] == 17).sum()) > 0  # new class: ground truth
    assert torch.equal(case.target[1][~tumour], expected_old[1][~tumour])  # old classes: pseudo labels ...
    assert torch.equal(case.target[0][~tumour], expected_old[0][~tumour])
    assert bool((case.target[0][tumour] == 1).all()) and bool((case.target[1][tumour] == 0).all())  # ... GT wins
    assert torch.equal(case.foreground[0].bool(), tumour), "positive patches are centred on the new class (tumour)"
