"""Per-step evaluation of a sequence of checkpoints into a run result: each step's scores are the evaluation sets'
per-case scores pooled (checked against evaluate_dataset run on each set independently); new classes, seed, method,
hardware and train time come from the checkpoints; checkpoints that are not one sequence are refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from contseg.data import PhantomDataset
from contseg.evaluation import evaluate_dataset, load_runs
from contseg.evaluation.sequence import evaluate_sequence, release_step_checkpoints, write_run
from contseg.network import load_checkpoint
from contseg.network.checkpoint import save_checkpoint
from contseg.network.class_heads import ClassHeads
from contseg.network.segmenter import ContinualSegmenter

PRE = {"spacing": [8.0, 8.0, 8.0], "patch": [64, 64, 64], "overlap": 0.25}
SETS = [PhantomDataset("holdout-a", [1000], (48, 40, 40), (8.0, 8.0, 8.0)), PhantomDataset("holdout-b", [1001], (48, 40, 40), (8.0, 8.0, 8.0))]


def _record(name: str, new: list[str], seed: int = 0, strategy: str = "pseudo-labels") -> dict[str, Any]:
    return {"name": name, "new_classes": new, "seed": seed, "strategy": strategy, "mode": "full",
            "wall_seconds_last_run": 12.5, "device": "cpu", "world_size": 1}


def _checkpoint(path: Path, classes: list[str], lineage: list[dict[str, Any]]) -> Path:
    """An untrained feature-size-12 model whose liver head is biased to fire everywhere (so Dice and HD95 of the
    liver are non-trivial numbers) and whose other heads are biased to predict nothing."""
    torch.manual_seed(0)
    model = ContinualSegmenter(feature_size=12)
    for name in classes:
        model.add_class(name, torch.randn(model.embed_dim), "one-hot")
    assert isinstance(model.heads, ClassHeads)
    with torch.no_grad():
        for name in classes:  # the last head parameter is the output bias b3
            model.heads.generators[name].layer2.bias[-1] = 50.0 if name == "liver" else -50.0
    save_checkpoint(path, model, lineage=lineage, preprocess=PRE, embeddings_kind="one-hot")
    return path


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """One torch thread: on the shared 2-core machine it runs inference about twice as fast as two."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("sequence")
    first = _record("organs", ["liver"], strategy="pseudo-labels")
    return [
        _checkpoint(root / "organs/final.pt", ["liver"], [first]),
        _checkpoint(root / "tumour/final.pt", ["liver", "liver tumour"], [first, _record("tumour", ["liver tumour"], strategy="lwf")]),
    ]


def test_each_steps_scores_pool_the_cases_of_every_evaluation_set(checkpoints: list[Path], tmp_path: Path) -> None:
    run = evaluate_sequence(checkpoints, SETS, "toy")
    assert (run["sequence"], run["method"], run["seed"], run["hardware"]) == ("toy", "lwf", 0, "1x cpu")
    assert [(s["name"], s["new_classes"], s["train_seconds"]) for s in run["steps"]] == [
        ("organs", ["liver"], 12.5), ("tumour", ["liver tumour"], 12.5)
    ]
    for step, path in list(zip(run["steps"], checkpoints))[1:]:  # the last step: its model has every class
        model, _ = load_checkpoint(path)
        per_set = [evaluate_dataset(model, d, PRE["spacing"], PRE["patch"], PRE["overlap"]) for d in SETS]
        for name in model.class_names:
            dice = [r["dice_postprocessed"][name] for r in per_set]
            hd95 = [r["hd95_postprocessed"][name] for r in per_set if r["hd95_postprocessed"][name] is not None]
            assert step["dice"][name] == pytest.approx(sum(dice) / 2, abs=1e-4)
            assert step["hd95"][name] == (pytest.approx(sum(hd95) / len(hd95), abs=1e-4) if hd95 else None)
        assert set(step["details"]["sets"]) == {"holdout-a", "holdout-b"}
    liver, tumour = run["steps"][1]["dice"]["liver"], run["steps"][1]["dice"]["liver tumour"]
    assert 0.0 < liver < 1.0 and run["steps"][1]["hd95"]["liver"] > 0.0  # the liver head fires everywhere
    assert tumour == 0.0 and run["steps"][1]["hd95"]["liver tumour"] is None  # nothing predicted: Dice 0, HD95 undefined
    write_run(run, tmp_path / "run.json")
    (loaded,) = load_runs([tmp_path / "run.json"])
    assert loaded.steps[1].dice == run["steps"][1]["dice"] and loaded.method == "lwf"


def test_checkpoints_that_are_not_one_sequence_are_refused(checkpoints: list[Path], tmp_path: Path) -> None:
    other_seed = _checkpoint(tmp_path / "s1.pt", ["liver", "spleen"], [_record("organs", ["liver"], 0), _record("spleen", ["spleen"], 1)])
    with pytest.raises(ValueError, match=r"different seeds \[0, 1\]"):
        evaluate_sequence([checkpoints[0], other_seed], SETS, "toy")
    lost = _checkpoint(tmp_path / "lost.pt", ["spleen"], [_record("spleen", ["spleen"])])
    with pytest.raises(ValueError, match=r"lacks classes \['liver'\] of the previous step"):
        evaluate_sequence([checkpoints[0], lost], SETS, "toy")
    with pytest.raises(ValueError, match="adds no class to the previous step"):
        evaluate_sequence([checkpoints[0], checkpoints[0]], SETS, "toy")
    with pytest.raises(ValueError, match="no evaluation sets given"):
        evaluate_sequence(checkpoints, [], "toy")
    with pytest.raises(FileNotFoundError, match=r"steps not trained yet \(no final.pt\): .*kidneys/final.pt"):
        release_step_checkpoints(checkpoints[0].parents[1], ["organs", "tumour", "kidneys"])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_evaluation_on_the_gpu_scores_like_on_the_cpu(checkpoints: list[Path]) -> None:
    cpu = evaluate_sequence(checkpoints, SETS[:1], "toy", device="cpu")
    gpu = evaluate_sequence(checkpoints, SETS[:1], "toy", device="cuda")
    assert [s["dice"] for s in gpu["steps"]] == [s["dice"] for s in cpu["steps"]]
    assert [s["hd95"] for s in gpu["steps"]] == [s["hd95"] for s in cpu["steps"]]


def test_a_score_cache_scores_each_checkpoint_and_case_once(checkpoints: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs that share a step (every benchmark method's step 1) reuse its per-case scores within a process: the second
    run scores only its own step, with results equal to scoring from scratch; a rewritten checkpoint is scored anew."""
    from contseg.evaluation import sequence

    calls: list[int] = []
    real = sequence.score_case
    monkeypatch.setattr(sequence, "score_case", lambda model, *a, **k: calls.append(len(model.class_names)) or real(model, *a, **k))
    cache: sequence.ScoreCache = {}
    first = evaluate_sequence(checkpoints, SETS, "toy", scores=cache)
    assert calls == [1, 2, 1, 2]  # 2 sets x 2 steps
    calls.clear()
    assert evaluate_sequence(checkpoints[:1], SETS, "toy", scores=cache)["steps"][0]["dice"] == first["steps"][0]["dice"]
    assert calls == []  # step 1 was scored in the first run
    fresh = evaluate_sequence(checkpoints, SETS, "toy")  # a fresh cache gives the same scores
    assert [(s["dice"], s["hd95"]) for s in fresh["steps"]] == [(s["dice"], s["hd95"]) for s in first["steps"]]
    calls.clear()
    torch.save(torch.load(checkpoints[1], weights_only=False), checkpoints[1])  # same content, new modification time
    evaluate_sequence(checkpoints, SETS, "toy", scores=cache)
    assert calls == [2, 2]
