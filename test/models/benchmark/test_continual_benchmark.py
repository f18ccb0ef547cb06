"""The continual benchmark end to end on a tiny real sequence (2 steps, 2 methods, 1 iteration per step, feature
size 12, coarse phantoms), plus the method plans and the config checks that need no training."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from contseg.benchmark.config import load_benchmark_config
from contseg.benchmark.continual import Work, main, plan_work, run_file
from contseg.benchmark.methods import METHODS, plan_steps
from contseg.benchmark.results import RESULTS_FORMAT, forgetting_separability, separability
from contseg.benchmark.runner import hardware_label
from contseg.evaluation.report import summarise
from contseg.evaluation.run_results import load_runs
from contseg.network import load_checkpoint
from contseg.training.config import load_release_config

PHANTOM = {"shape": [48, 40, 32], "spacing": [6.0, 6.0, 6.0]}
SEQUENCE = {
    "name": "tiny",
    "out_dir": "release",
    "defaults": {
        "model": {"feature_size": 12},
        "preprocess": {"spacing": [8.0, 8.0, 8.0], "patch": [64, 64, 64], "overlap": 0.25},
        "train": {"iterations": 1, "batch_size": 1, "log_every": 1, "checkpoint_every": 10, "threads": 1},
    },
    "steps": [
        {"name": "organs", "new_classes": ["liver", "spleen"], "dataset": {"kind": "phantom", "seeds": [3], **PHANTOM}},
        {"name": "tumour", "new_classes": ["liver tumour"], "dataset": {"kind": "phantom", "seeds": [102], **PHANTOM}},
    ],
    "evaluation": [{"name": "holdout", "dataset": {"kind": "phantom", "seeds": [1000], **PHANTOM}}],
}
TINY_COMPUTE = {"classes": [1, 3], "timed_classes": [3], "classes_per_step": 2, "feature_size": 12, "patch": [64, 64, 64],
                "flops_feature_size": 12, "flops_patch": [64, 64, 64], "repeats": 1}


def _write_config(folder: Path, methods: list[str], **extra: object) -> Path:
    (folder / "tiny.yaml").write_text(yaml.safe_dump(SEQUENCE))
    config = {"name": "test", "out_dir": "out", "sequences": ["tiny.yaml"], "methods": methods, "seeds": [0],
              "compute": TINY_COMPUTE, **extra}
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_one_command_trains_both_methods_shares_their_first_step_and_writes_valid_runs_and_the_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTSEG_KEEP_MALLOC", "1")  # main() would otherwise re-execute the test process
    config_path = _write_config(tmp_path, ["lwf", "ours-clip"])
    results = tmp_path / "docs" / "continual-results"
    main(["--config", str(config_path), "--results", str(results)])
    config = load_benchmark_config(config_path)
    runs = load_runs([run_file(config, "tiny", m, 0) for m in ("lwf", "ours-clip")])  # the report's schema checks
    assert [(r.method, [s.name for s in r.steps]) for r in runs] == [("lwf", ["organs", "tumour"]), ("ours-clip", ["organs", "tumour"])]
    assert all(set(r.steps[-1].dice) == {"liver", "spleen", "liver tumour"} for r in runs)
    # one shared step-1 checkpoint; each method's step 2 starts from it with its own strategy
    seed_root = config.out_dir / "seed-0" / "tiny"
    assert sorted(p.relative_to(seed_root).as_posix() for p in seed_root.rglob("final.pt")) == [
        "class-clip/organs/final.pt",
        "class-clip/organs/lwf-full/tumour/final.pt",
        "class-clip/organs/pseudo-labels-full/tumour/final.pt",
    ]
    _, ckpt = load_checkpoint(seed_root / "class-clip/organs/lwf-full/tumour/final.pt")
    assert [r["strategy"] for r in ckpt["lineage"]] == ["pseudo-labels", "lwf"]
    data = json.loads(results.with_suffix(".json").read_text())
    assert [(e["tier"], len(e["runs"])) for e in data["entries"]] == [("test", 2)]
    rows = data["entries"][0]["compute"]["rows"]
    assert [r["classes"] for r in rows] == [1, 3] and rows[1]["decoder-per-step"]["gflop"] > rows[1]["ours"]["gflop"]
    assert rows[0]["ours"]["ms"] is None and rows[1]["ours"]["ms"] > 0 and rows[1]["decoder-per-step"]["ms"] > 0
    text = results.with_suffix(".md").read_text()
    assert "## Tier `test` on CPU" in text and "### Can the seeds separate the methods?" in text
    assert "- `tiny`: organs (liver, spleen; 1 iterations); tumour (liver tumour; 1 iterations); held out: holdout." in text
    assert "no method can be separated" in text  # one seed: no interval, and the document says so
    assert "Compute per step" in text
    svg = next(results.parent.glob("continual-results-test-*.svg"))
    assert "<svg" in svg.read_text()


def test_every_method_plans_its_steps_with_its_strategy_and_identical_steps_share_a_folder(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(SEQUENCE))
    steps = load_release_config(tmp_path / "tiny.yaml").steps
    plans = {name: plan_steps(steps, m, tmp_path) for name, m in METHODS.items()}
    firsts = {name: p[0].out_dir.relative_to(tmp_path).as_posix() for name, p in plans.items()}
    assert firsts["lwf"] == firsts["ours-clip"] == firsts["head-only"] == firsts["joint"] == "class-clip/organs"
    assert firsts["ours-one-hot"] == "class-one-hot/organs" and firsts["universal"] == "universal-clip/organs"
    second = {name: p[1].config for name, p in plans.items()}
    assert (second["head-only"].mode, second["head-only"].strategy) == ("head-only", "fine-tune")
    assert second["universal"].model.heads_kind == "universal" and second["ours-one-hot"].embeddings == "one-hot"
    joint = second["joint"]
    assert joint.previous is None and [s.name for s in joint.joint_with] == ["organs"] and joint.train.iterations == 2
    assert second["plop"].previous == plans["plop"][0].out_dir / "final.pt"
    assert len({p[1].out_dir for p in plans.values()}) == len(METHODS)  # no two methods share a second step


@pytest.mark.parametrize(
    ("change", "message"),
    [({"methods": ["lwf", "ewc"]}, "unknown method 'ewc'"), ({"seeds": [0, 0]}, "distinct integers"),
     ({"compute": {"classes": [0]}}, "must be positive"), ({"typo": 1}, "unknown keys ['typo']"),
     ({"compute": {"classes": [1, 2], "timed_classes": [4]}}, "timed_classes [4] must be among classes")],
)
def test_a_bad_benchmark_config_is_refused_naming_the_problem(tmp_path: Path, change: dict[str, object], message: str) -> None:
    path = _write_config(tmp_path, ["lwf"])
    data = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**data, **change}))
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        load_benchmark_config(path)


def _phantom_seeds(spec: dict[str, object]) -> set[int]:
    """Every phantom seed a dataset mapping uses, through concat parts."""
    if spec.get("kind") == "concat":
        return set().union(*(_phantom_seeds(p) for p in spec["parts"]))  # type: ignore[union-attr]
    return set(spec.get("seeds", [])) if spec.get("kind") == "phantom" else set()  # type: ignore[arg-type]


def test_the_repository_tiers_load_with_their_methods_and_hold_their_evaluation_cases_out_of_training() -> None:
    folder = Path(__file__).resolve().parents[3] / "models" / "configs" / "continual"
    for tier in ("reduced.yaml", "full.yaml", "forgetting.yaml"):
        config = load_benchmark_config(folder / tier)
        assert config.methods == tuple(METHODS) and len(config.seeds) == 3
        assert [s.name for s in config.sequences] == ["btcv-like", "jhh-like"]
        for sequence in config.sequences:
            trained_seeds = set().union(*(_phantom_seeds(s.dataset) for s in sequence.steps))
            trained_files = json.dumps([s.dataset for s in sequence.steps])
            for entry in sequence.evaluation:
                assert not _phantom_seeds(entry.dataset) & trained_seeds
                assert all(image not in trained_files for image, _ in entry.dataset.get("pairs", []))


def _group(method: str, dice_all: list[float], forgetting: dict[str, list[float]]) -> dict[str, object]:
    """A (sequence, method) group of paper_tables with only what the separability sentences read, from seed values."""
    return {"sequence": "btcv-like", "method": method, "steps": [{"dice_all": summarise(dice_all)}],
            "forgetting": {c: summarise(v) for c, v in forgetting.items()}}


def test_the_seeds_separate_a_class_whose_forgetting_differs_even_when_the_all_class_means_overlap() -> None:
    # As measured by the forgetting tier: fine-tune loses the stomach, ours keeps it; the 13-class means overlap.
    tables = {"groups": [
        _group("fine-tune", [0.05, 0.06, 0.045], {"stomach": [0.30, 0.33, 0.32], "liver": [0.2, 0.05, 0.12]}),
        _group("ours-clip", [0.09, 0.12, 0.08], {"stomach": [0.0, -0.01, 0.05], "liver": [0.0, -0.01, 0.0]}),
    ]}
    assert "**not separable** from fine-tune" in separability(tables)[0]
    (line,) = forgetting_separability(tables)
    assert "separated for stomach: fine-tune 0.317" in line and "liver" not in line
    tables["groups"][0]["forgetting"]["stomach"] = summarise([0.0, 0.02, 0.05])
    assert forgetting_separability(tables)[0].endswith("no (class, method) pair is separated.")


def test_split_deals_each_pairs_methods_to_at_most_k_workers_and_skips_pairs_with_nothing_to_do() -> None:
    """--split K: a (seed, sequence) pair's methods go in turn to up to K workers, each with its own step folder."""
    todo = {(0, "a"): ["m1", "m2", "m3"], (0, "b"): ["m1"], (1, "a"): [], (1, "b"): ["m2", "m3"]}
    assert plan_work([0, 1], ["a", "b"], todo, 2) == [
        Work(0, "a", ("m1", "m3"), 0),
        Work(0, "a", ("m2",), 1),
        Work(0, "b", ("m1",), 0),
        Work(1, "b", ("m2",), 0),
        Work(1, "b", ("m3",), 1),
    ]
    assert plan_work([0, 1], ["a", "b"], todo, 1) == [
        Work(0, "a", ("m1", "m2", "m3")), Work(0, "b", ("m1",)), Work(1, "b", ("m2", "m3"))
    ]


def test_a_partial_tier_is_finished_later_restoring_its_runs_and_training_only_the_missing_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--runs-from puts back the runs a document holds for this tier and hardware (not another machine's), and
    --missing-only then trains only the methods without a run; --part keeps a worker's steps in their own folder."""
    monkeypatch.setenv("CONTSEG_KEEP_MALLOC", "1")
    config_path = _write_config(tmp_path, ["lwf", "ours-clip"])
    config = load_benchmark_config(config_path)
    main(["--config", str(config_path), "--methods", "lwf", "--train-only"])
    lwf = run_file(config, "tiny", "lwf", 0)
    earlier = json.loads(lwf.read_text())
    lwf.unlink()
    shutil.rmtree(config.out_dir / "seed-0")  # nothing left to reuse: a retrained lwf would recreate its folders
    elsewhere = {**earlier, "method": "ours-clip", "hardware": "GPU: another machine"}
    document = tmp_path / "earlier.json"
    document.write_text(json.dumps({"format": RESULTS_FORMAT, "entries": [
        {"tier": "test", "hardware": hardware_label(), "runs": [earlier]},
        {"tier": "test", "hardware": "GPU: another machine", "runs": [elsewhere]},
    ]}))
    main(["--config", str(config_path), "--runs-from", str(document), "--missing-only", "--train-only", "--part", "1"])
    assert json.loads(lwf.read_text()) == earlier
    assert load_runs([run_file(config, "tiny", "ours-clip", 0)])[0].hardware == hardware_label()
    seed_root = config.out_dir / "seed-0" / "tiny"
    assert sorted(p.relative_to(seed_root).as_posix() for p in seed_root.rglob("final.pt")) == [
        "part-1/class-clip/organs/final.pt",
        "part-1/class-clip/organs/pseudo-labels-full/tumour/final.pt",
    ]
