"""Eq. 3 target composition and step-config validation."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch
import yaml

from contseg.training import compose_step_target, load_release_config
from contseg.training.config import step_from_mapping
from contseg.training.release import with_threads

CONFIGS = Path(__file__).resolve().parents[3] / "models" / "configs"


def test_old_classes_take_pseudo_labels_and_new_ground_truth_wins_where_positive() -> None:
    old = torch.zeros(2, 1, 1, 4, dtype=torch.bool)  # liver, spleen pseudo labels
    old[0, 0, 0, :3] = True  # the old model says liver on voxels 0-2
    old[1, 0, 0, 3] = True  # and spleen on voxel 3
    truth = torch.tensor([[[[0, 1, 0, 1]]]], dtype=torch.int8)  # liver tumour ground truth on voxels 1 and 3
    t = compose_step_target(["liver", "spleen"], old, ["liver tumour"], truth)
    assert t[:, 0, 0].tolist() == [
        [1, 1, 1, 1],  # liver: pseudo label, plus the tumour voxel 3 (a tumour is part of the liver)
        [0, 0, 0, 0],  # spleen: the old model's spleen voxel 3 is overwritten by tumour ground truth
        [0, 1, 0, 1],  # liver tumour: ground truth
    ]


def test_fine_tune_leaves_old_classes_unsupervised() -> None:
    truth = torch.ones(1, 2, 2, 2, dtype=torch.int8)
    t = compose_step_target(["liver"], None, ["liver tumour"], truth)
    assert bool((t[0] == -1).all()) and bool((t[1] == 1).all())


def _step(**extra: object) -> dict[str, object]:
    return {"name": "s", "dataset": {"kind": "phantom"}, "new_classes": ["liver"], **extra}


def test_step_config_refuses_typos_unknown_strategies_and_bad_patches(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown keys \\['iteration'\\]"):
        step_from_mapping(_step(train={"iteration": 3}), tmp_path)
    with pytest.raises(ValueError, match="strategy 'ewc' is not one of"):
        step_from_mapping(_step(strategy="ewc"), tmp_path)
    with pytest.raises(ValueError, match="head-only step needs a previous checkpoint"):
        step_from_mapping(_step(mode="head-only"), tmp_path)
    with pytest.raises(ValueError, match="at least 64"):
        step_from_mapping(_step(preprocess={"patch": [32, 64, 64]}), tmp_path)
    with pytest.raises(ValueError, match="not in the catalogue"):
        step_from_mapping(_step(new_classes=["brain"]), tmp_path)


def test_release_fast_config_has_the_two_documented_steps() -> None:
    release = load_release_config(CONFIGS / "release-fast.yaml")
    assert [s.name for s in release.steps] == ["organs", "liver-tumour"]
    assert len(release.steps[0].new_classes) == 12 and release.steps[1].new_classes == ("liver tumour",)
    assert release.steps[0].model.feature_size == 12 and release.steps[0].preprocess.spacing == (3.0, 3.0, 3.0)


def test_a_release_step_continues_from_the_step_before_it_so_head_only_and_distillation_steps_load(tmp_path: Path) -> None:
    release_yaml = tmp_path / "release.yaml"
    first, second = _step(name="organs"), _step(name="tumour", new_classes=["liver tumour"], mode="head-only", strategy="lwf")
    release_yaml.write_text(yaml.safe_dump({"name": "r", "out_dir": "out", "steps": [first, second]}))
    release = load_release_config(release_yaml)
    assert release.steps[0].previous is None
    assert release.steps[1].previous == tmp_path / "out" / "organs" / "final.pt"
    assert release.steps[1].mode == "head-only" and release.steps[1].strategy == "lwf"


def test_threads_override_changes_only_every_steps_thread_count_and_refuses_negative() -> None:
    release = load_release_config(CONFIGS / "release-gpu.yaml")
    cpu = with_threads(release, 2)
    assert [s.train.threads for s in cpu.steps] == [2, 2]
    assert [replace(s, train=replace(s.train, threads=0)) for s in cpu.steps] == [
        replace(s, train=replace(s.train, threads=0)) for s in release.steps
    ]
    with pytest.raises(ValueError, match="--threads must be >= 0"):
        with_threads(release, -1)
