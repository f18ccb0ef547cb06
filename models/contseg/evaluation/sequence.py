"""Evaluate every step of a continual sequence and write its run result (``contseg.evaluation.run_results``).

Each step's final checkpoint is run on the evaluation sets; a step's Dice / HD95 per class is the post-processed
value averaged over every case of every set where it is defined (so a set that does not annotate a class does not
count for it). Per-set and per-case numbers go to the step's ``details``.

    # a release trained by contseg.training.release: <out_dir>/<step>/final.pt, its ``evaluation`` sets
    models/.venv/bin/python -m contseg.evaluation.sequence --config models/configs/release-fast.yaml --out run.json
    # any checkpoints in step order (e.g. the paper's one-command-per-step configs), sets as dataset YAML files
    models/.venv/bin/python -m contseg.evaluation.sequence --checkpoints .work/paper/btcv/final.pt \\
        .work/paper/lits/final.pt --eval-set btcv-test=btcv-test.yaml --eval-set lits-test=lits-test.yaml \\
        --sequence btcv-lits --out run.json

What comes from the checkpoints: a step's new classes (its classes minus the previous step's; a step must keep every
earlier class), the seed (one per run; checkpoints of different seeds are refused), ``train_seconds`` (the lineage's
``wall_seconds_last_run``: the last, possibly resumed, run of the step), the method (the strategy of the steps after
the first, "+"-joined when they differ; "/head-only" marks head-only steps) and the hardware (world size x device).
``--method`` and ``--hardware`` override the last two.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..data.cases import RawCase
from ..data.datasets import SegmentationDataset
from ..data.preprocess import preprocess_case
from ..data.registry import build_dataset
from ..network.checkpoint import load_checkpoint
from ..network.segmenter import ContinualSegmenter
from .evaluate import score_case, summarise_cases
from .run_results import run_from_json

log = logging.getLogger("contseg.evaluation")


@dataclass
class _Step:
    """A loaded step checkpoint and what the run result needs from it."""

    path: Path
    model: ContinualSegmenter
    checkpoint: dict[str, Any]

    @property
    def record(self) -> dict[str, Any]:
        """The lineage record of the step that wrote this checkpoint."""
        lineage = self.checkpoint.get("lineage") or []
        if not lineage:
            raise ValueError(f"{self.path}: checkpoint has no lineage (not written by contseg.training)")
        return lineage[-1]

    @property
    def grid(self) -> tuple[tuple[float, ...], tuple[int, ...], float, str]:
        """(spacing, patch, overlap, padding) the step was trained with and is evaluated with."""
        pre = self.checkpoint["preprocess"]
        spacing, patch = tuple(float(s) for s in pre["spacing"]), tuple(int(p) for p in pre["patch"])
        return spacing, patch, float(pre.get("overlap", 0.5)), str(pre.get("padding", "constant"))


def _load_steps(checkpoints: Sequence[Path], device: torch.device) -> list[_Step]:
    if not checkpoints:
        raise ValueError("no step checkpoints given")
    steps = []
    for path in checkpoints:
        model, ckpt = load_checkpoint(Path(path), map_location=device)
        steps.append(_Step(Path(path), model, ckpt))
    seeds = {int(s.record["seed"]) for s in steps}
    if len(seeds) != 1:
        raise ValueError(f"the checkpoints come from different seeds {sorted(seeds)}: {[str(s.path) for s in steps]}")
    for before, after in zip(steps, steps[1:]):
        lost = [c for c in before.model.class_names if c not in after.model.class_names]
        if lost:
            raise ValueError(f"{after.path} lacks classes {lost} of the previous step {before.path}: not one sequence")
        if len(after.model.class_names) == len(before.model.class_names):
            raise ValueError(f"{after.path} adds no class to the previous step {before.path}")
    return steps


def _method(steps: Sequence[_Step]) -> str:
    records = [s.record for s in (steps[1:] or steps)]
    labels = [r["strategy"] + ("/head-only" if r.get("mode") == "head-only" else "") for r in records]
    return "+".join(dict.fromkeys(labels))


ScoreCache = dict[tuple[str, int, str, str], dict[str, Any]]
"""Per-case results by (checkpoint path, its modification time in ns, evaluation set, case): a checkpoint that several
runs share (every class-head CLIP method's step 1 in the benchmark) is scored once per process, not once per run."""


def _score_steps(steps: Sequence[_Step], dataset: SegmentationDataset, cache: ScoreCache) -> list[list[dict[str, Any]]]:
    """Per step, the per-case results on ``dataset``; each case is loaded at most once (not at all when every step's
    result is in ``cache``) and pre-processed once per grid."""
    per_step: list[list[dict[str, Any]]] = [[] for _ in steps]
    for case_id in dataset.case_ids():
        keys = [(str(s.path.resolve()), s.path.stat().st_mtime_ns, dataset.name, case_id) for s in steps]
        reused = sum(k in cache for k in keys)
        raw: RawCase | None = None
        prepared_by_spacing = {}
        for i, (step, key) in enumerate(zip(steps, keys)):
            if key not in cache:
                raw = raw or dataset.load(case_id)
                spacing, patch, overlap, padding = step.grid
                t0 = time.time()
                if spacing not in prepared_by_spacing:
                    prepared_by_spacing[spacing] = preprocess_case(raw, spacing)
                prepared = prepared_by_spacing[spacing]
                scores = score_case(step.model, prepared, spacing, patch, overlap, padding)
                cache[key] = {"case": case_id, "grid": list(prepared.image.shape[1:]), **scores, "seconds": round(time.time() - t0, 1)}
            per_step[i].append(cache[key])
        log.info("evaluated %s with %d step checkpoints (%d scored earlier in this process)", case_id, len(steps), reused)
    return per_step


def evaluate_sequence(
    checkpoints: Sequence[Path],
    eval_sets: Sequence[SegmentationDataset],
    sequence: str,
    method: str | None = None,
    hardware: str | None = None,
    device: str | torch.device | None = None,
    scores: ScoreCache | None = None,
) -> dict[str, Any]:
    """Evaluate each step checkpoint (in step order) on every set; returns the run-result mapping (validated by
    ``run_from_json``), each step with ``details`` = {"checkpoint", "lineage", "sets": {set: dataset report}}.

    The models run on ``device`` (default: the GPU when there is one, else the CPU); scores are computed on the CPU.
    ``scores``: per-case results of earlier calls, reused and extended (see ``ScoreCache``).
    """
    if not eval_sets:
        raise ValueError("no evaluation sets given")
    steps = _load_steps(checkpoints, torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu")))
    reports: list[dict[str, Any]] = [{} for _ in steps]
    pooled: list[list[dict[str, Any]]] = [[] for _ in steps]
    for dataset in eval_sets:
        for i, cases in enumerate(_score_steps(steps, dataset, {} if scores is None else scores)):
            reports[i][dataset.name] = summarise_cases(dataset.name, steps[i].model.class_names, cases)
            pooled[i] += cases
    run_steps = []
    previous: list[str] = []
    for step, sets, cases in zip(steps, reports, pooled):
        classes = step.model.class_names
        pooled_report = summarise_cases("all sets", classes, cases)
        run_steps.append({
            "name": str(step.record["name"]),
            "new_classes": [c for c in classes if c not in previous],
            "dice": pooled_report["dice_postprocessed"],
            "hd95": pooled_report["hd95_postprocessed"],
            "train_seconds": step.record.get("wall_seconds_last_run"),
            "details": {"checkpoint": str(step.path), "lineage": [r["name"] for r in step.checkpoint["lineage"]], "sets": sets},
        })
        previous = classes
    last = steps[-1].record
    run = {
        "sequence": sequence,
        "method": method or _method(steps),
        "seed": int(last["seed"]),
        "hardware": hardware or f"{last.get('world_size', 1)}x {last.get('device', 'unknown device')}",
        "steps": run_steps,
    }
    run_from_json(run, f"sequence {sequence!r}")  # the same checks a reader applies
    return run


def write_run(run: dict[str, Any], out: Path) -> None:
    """Write a run result atomically (a reader never sees half a file)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(run, indent=2) + "\n")
    os.replace(tmp, out)


def release_step_checkpoints(out_dir: Path, step_names: Sequence[str]) -> list[Path]:
    """<out_dir>/<step>/final.pt for each step, with a clear error naming the steps not trained yet."""
    paths = [Path(out_dir) / name / "final.pt" for name in step_names]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"steps not trained yet (no final.pt): {missing}")
    return paths


def main(argv: list[str] | None = None) -> None:
    """CLI entry point (see the module docstring)."""
    from ..training.config import load_release_config, load_yaml
    from ..training.runtime import ensure_fast_allocator

    ensure_fast_allocator()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", type=Path, help="release YAML: its steps' final.pt and its evaluation sets")
    source.add_argument("--checkpoints", type=Path, nargs="+", help="step checkpoints in training order")
    parser.add_argument("--eval-set", action="append", default=[], metavar="NAME=DATASET.yaml",
                        help="an evaluation set (with --checkpoints; repeatable; with --config replaces its sets)")
    parser.add_argument("--sequence", help="sequence name (default: the release name)")
    parser.add_argument("--method", help="method name (default: from the checkpoints' strategies)")
    parser.add_argument("--hardware", help="hardware description (default: from the last checkpoint)")
    parser.add_argument("--out", type=Path, required=True, help="run-result JSON to write")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads for torch (0: torch's default); on a busy "
                        "2-core machine 1 thread ran inference twice as fast as 2")
    args = parser.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    sets: list[SegmentationDataset] = []
    for entry in args.eval_set:
        name, sep, path = entry.partition("=")
        if not sep or not name or not path:
            parser.error(f"--eval-set {entry!r}: expected NAME=DATASET.yaml")
        sets.append(build_dataset(load_yaml(Path(path)), Path(path).resolve().parent, name))
    if args.config is not None:
        release = load_release_config(args.config)
        checkpoints = release_step_checkpoints(release.out_dir, [s.name for s in release.steps])
        base = release.steps[0].base_dir
        sets = sets or [build_dataset(e.dataset, base, e.name) for e in release.evaluation]
        sequence = args.sequence or release.name
    else:
        checkpoints, sequence = args.checkpoints, args.sequence
        if not sequence:
            parser.error("--sequence is required with --checkpoints")
    run = evaluate_sequence(checkpoints, sets, sequence, args.method, args.hardware)
    write_run(run, args.out)
    print(f"{args.out}: {len(run['steps'])} steps evaluated on {len(sets)} sets")


if __name__ == "__main__":
    main()
