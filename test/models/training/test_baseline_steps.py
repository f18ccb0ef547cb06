"""Real (tiny) steps of the continual-learning baselines, joint training's data access, and resume from last.pt.

Step 1 trains liver + spleen on phantom 3; the baselines then learn liver tumour on phantom 102 from its checkpoint.
Feature size 12, 64^3 patches (the smallest SwinUNETR trains on), one iteration each.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest
import torch
import yaml

from contseg.data import PhantomDataset
from contseg.data.registry import build_dataset
from contseg.network import load_checkpoint
from contseg.training.config import load_release_config, load_step_config, step_from_mapping
from contseg.training.runtime import init_distributed
from contseg.training.step import StepTrainer, build_model, earlier_datasets, prepare_cases, run_step, step_sources

SHAPE, SPACING = [48, 40, 32], [6.0, 6.0, 6.0]
PRE = {"spacing": [8.0, 8.0, 8.0], "patch": [64, 64, 64], "overlap": 0.25}
TRAIN = {"iterations": 1, "batch_size": 1, "log_every": 1, "checkpoint_every": 1, "threads": 1}
ORGANS = {"name": "organs", "dataset": {"kind": "phantom", "seeds": [3], "shape": SHAPE, "spacing": SPACING},
          "new_classes": ["liver", "spleen"], "model": {"feature_size": 12}, "preprocess": PRE, "train": TRAIN}
TUMOUR_DATA = {"kind": "phantom", "seeds": [102], "shape": SHAPE, "spacing": SPACING}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def organs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Step 1's final checkpoint (liver, spleen)."""
    root = tmp_path_factory.mktemp("baselines")
    step = step_from_mapping(ORGANS, root)
    return run_step(step, build_dataset(step.dataset, root, step.name), root / "organs", seed=0)


def _tumour_step(strategy: str, previous: Path, **train: int) -> object:
    return step_from_mapping(
        {"name": f"tumour-{strategy}", "dataset": TUMOUR_DATA, "new_classes": ["liver tumour"], "strategy": strategy,
         "previous": str(previous), "preprocess": PRE, "train": {**TRAIN, **train}},
        previous.parent,
    )


@pytest.mark.parametrize("strategy", ["lwf", "plop"])
def test_a_real_one_iteration_baseline_step_trains_all_parameters_and_leaves_the_old_checkpoint_unchanged(
    organs: Path, strategy: str, tmp_path: Path
) -> None:
    step = _tumour_step(strategy, organs)
    before = _sha(organs)
    final = run_step(step, build_dataset(TUMOUR_DATA, tmp_path, "tumour-data"), tmp_path, seed=0)  # type: ignore[arg-type]
    assert _sha(organs) == before
    old, _ = load_checkpoint(organs)
    new, ckpt = load_checkpoint(final)
    assert new.class_names == ["liver", "spleen", "liver tumour"]
    assert ckpt["lineage"][-1]["strategy"] == strategy and ckpt["lineage"][-1]["cases"] == ["phantom-102"]
    moved = [k for k, v in old.state_dict().items() if not torch.equal(v, new.state_dict()[k])]
    assert any(k.startswith("swin.") for k in moved)  # a full step: the backbone trained too


def test_an_interrupted_ilt_step_resumed_from_last_pt_ends_with_the_same_weights_as_an_uninterrupted_one(
    organs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    step = _tumour_step("ilt", organs, iterations=2)
    data = build_dataset(TUMOUR_DATA, tmp_path, "tumour-data")
    straight, _ = load_checkpoint(run_step(step, data, tmp_path / "straight", seed=0))  # type: ignore[arg-type]

    class Interrupted(Exception):
        """Stands for the process being killed right after it wrote last.pt."""

    save = StepTrainer._save_resume

    def save_then_die(self: StepTrainer, *args: object) -> None:
        save(self, *args)  # type: ignore[arg-type]
        raise Interrupted

    monkeypatch.setattr(StepTrainer, "_save_resume", save_then_die)
    with pytest.raises(Interrupted):
        run_step(step, data, tmp_path / "resumed", seed=0)  # type: ignore[arg-type]
    assert torch.load(tmp_path / "resumed" / "last.pt", weights_only=False)["training"]["iteration"] == 1
    monkeypatch.undo()
    caplog.set_level(logging.INFO, logger="contseg.training")
    caplog.clear()
    resumed, ckpt = load_checkpoint(run_step(step, data, tmp_path / "resumed", seed=0))  # type: ignore[arg-type]
    assert ckpt["lineage"][-1]["strategy"] == "ilt" and not (tmp_path / "resumed" / "last.pt").exists()
    # it really continued: only iteration 2 ran (a restart from scratch would also be deterministic)
    assert "resumed tumour-ilt from iteration 1" in caplog.text
    assert [json.loads(r.getMessage())["iter"] for r in caplog.records if r.getMessage().startswith("{")] == [2]
    for name, value in straight.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[name]), name


def test_only_joint_reads_earlier_datasets_every_other_strategy_refuses_them(organs: Path, tmp_path: Path) -> None:
    own, earlier = PhantomDataset("tumour-data", [102], tuple(SHAPE), tuple(SPACING)), PhantomDataset("organs-data", [3], tuple(SHAPE), tuple(SPACING))
    for strategy in ("lwf", "ilt", "plop", "pseudo-labels", "fine-tune"):
        step = _tumour_step(strategy, organs)
        with pytest.raises(ValueError, match="must not open earlier steps' datasets"):
            run_step(step, own, tmp_path, seed=0, earlier=[earlier])  # type: ignore[arg-type]
        assert earlier_datasets(step) == []  # type: ignore[arg-type]
        assert [s.name for s in step_sources(step, own)] == ["tumour-data"]  # type: ignore[arg-type]
    assert not any(tmp_path.iterdir())  # refused before anything was written


def test_a_real_joint_step_trains_every_class_on_all_steps_datasets_with_their_ground_truth(tmp_path: Path) -> None:
    (tmp_path / "organs.yaml").write_text(yaml.safe_dump(ORGANS))
    joint_yaml = {"name": "joint", "strategy": "joint", "joint_with": ["organs.yaml"], "dataset": TUMOUR_DATA,
                  "new_classes": ["liver tumour"], "model": {"feature_size": 12}, "preprocess": PRE, "train": TRAIN}
    (tmp_path / "joint.yaml").write_text(yaml.safe_dump(joint_yaml))
    step = load_step_config(tmp_path / "joint.yaml")
    assert step.trained_classes == ("liver", "spleen", "liver tumour")
    earlier = earlier_datasets(step)
    own = build_dataset(step.dataset, step.base_dir, step.name)
    sources = step_sources(step, own, earlier)
    assert [s.case_ids() for s in sources] == [["phantom-3"], ["phantom-102"]]
    ctx = init_distributed()
    model, previous, _ = build_model(step, ctx)
    cases = prepare_cases(step, sources, model, previous, ctx)
    # all ground truth: the tumour phantom's liver and spleen labels are used (not -1, not pseudo labels)
    assert all(bool((c.target >= 0).all()) for c in cases) and int(cases[1].target[0].sum()) > 0
    final = run_step(step, own, tmp_path / "out", seed=0, earlier=earlier)
    model, ckpt = load_checkpoint(final)
    assert model.class_names == ["liver", "spleen", "liver tumour"]
    assert ckpt["lineage"][-1]["joint_with"] == [{"step": "organs", "dataset": "organs", "cases": ["phantom-3"]}]


def test_step_configs_enforce_what_each_strategy_needs(tmp_path: Path) -> None:
    base = {"name": "s", "dataset": TUMOUR_DATA, "new_classes": ["liver tumour"]}
    with pytest.raises(ValueError, match="distils from a previous checkpoint"):
        step_from_mapping({**base, "strategy": "plop"}, tmp_path)
    with pytest.raises(ValueError, match="only strategy 'joint' may list earlier steps"):
        step_from_mapping({**base, "joint_with": ["organs"]}, tmp_path, earlier=(step_from_mapping(ORGANS, tmp_path),))
    with pytest.raises(ValueError, match="needs the earlier steps it trains with"):
        step_from_mapping({**base, "strategy": "joint"}, tmp_path)
    with pytest.raises(ValueError, match="from scratch"):
        step_from_mapping({**base, "strategy": "joint", "joint_with": ["organs"], "previous": "x.pt"}, tmp_path,
                          earlier=(step_from_mapping(ORGANS, tmp_path),))
    with pytest.raises(ValueError, match="neither an earlier step nor a step config file"):
        step_from_mapping({**base, "strategy": "joint", "joint_with": ["missing.yaml"]}, tmp_path)


def test_a_release_joint_step_names_its_earlier_steps_and_gets_their_configs(tmp_path: Path) -> None:
    joint = {"name": "joint", "strategy": "joint", "joint_with": ["organs"], "dataset": TUMOUR_DATA, "new_classes": ["liver tumour"]}
    (tmp_path / "release.yaml").write_text(yaml.safe_dump({"name": "r", "out_dir": "out", "steps": [ORGANS, joint]}))
    release = load_release_config(tmp_path / "release.yaml")
    organs, joint_step = release.steps
    assert joint_step.joint_with == (organs,) and joint_step.trained_classes == ("liver", "spleen", "liver tumour")
    assert [d.case_ids() for d in earlier_datasets(joint_step)] == [["phantom-3"]]
