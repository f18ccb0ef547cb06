"""Train one method through one sequence from a seed, then evaluate every step's checkpoint on the sequence's
held-out sets with ``contseg.evaluation.sequence.evaluate_sequence``: the run result of
``contseg.evaluation.run_results`` (post-processed Dice and HD95 per class after each step)."""

from __future__ import annotations

import json
import logging
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from ..data.cases import RawCase
from ..data.datasets import SegmentationDataset
from ..data.registry import build_dataset
from ..evaluation.sequence import ScoreCache, evaluate_sequence
from ..network.checkpoint import load_checkpoint
from ..training.config import ReleaseConfig, StepConfig
from ..training.step import FINAL_FILE, run_step
from .methods import Method, plan_steps

log = logging.getLogger("contseg.benchmark")


class MemoryCachedDataset(SegmentationDataset):
    """A dataset whose cases are loaded (phantoms generated, files decoded) once per process: methods share step data."""

    def __init__(self, inner: SegmentationDataset) -> None:
        super().__init__(inner.name)
        self._inner = inner
        self._cases: dict[str, RawCase] = {}

    def case_ids(self) -> list[str]:
        return self._inner.case_ids()

    def _load(self, case_id: str) -> RawCase:
        if case_id not in self._cases:
            self._cases[case_id] = self._inner.load(case_id)
        return self._cases[case_id]


class DatasetCache:
    """Datasets built from config mappings, one cached object per distinct mapping, and the per-case scores of the
    checkpoints evaluated so far (a step shared by several methods is scored once)."""

    def __init__(self) -> None:
        self._by_spec: dict[str, MemoryCachedDataset] = {}
        self.scores: ScoreCache = {}

    def get(self, spec: Mapping[str, Any], base: Path, name: str) -> MemoryCachedDataset:
        """The cached dataset of ``spec`` (paths resolve against ``base``)."""
        key = json.dumps([spec, str(base)], sort_keys=True)
        if key not in self._by_spec:
            self._by_spec[key] = MemoryCachedDataset(build_dataset(spec, base, name))
        return self._by_spec[key]


def hardware_label() -> str:
    """What the numbers were measured on, e.g. "GPU: NVIDIA H100 80GB HBM3" or "CPU: x86_64, 2 torch threads"."""
    if torch.cuda.is_available():
        return f"GPU: {torch.cuda.get_device_name(0)}"
    return f"CPU: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads"


def _train(step: StepConfig, out_dir: Path, seed: int, cache: DatasetCache) -> Path:
    """The step's final checkpoint: trained now, or found from an earlier run with the same seed (resumes last.pt)."""
    final = out_dir / FINAL_FILE
    if final.is_file():
        _, ckpt = load_checkpoint(final)
        if ckpt["lineage"][-1]["seed"] != seed:
            raise ValueError(f"{final} was trained with seed {ckpt['lineage'][-1]['seed']}, not {seed}: use another out_dir")
        return final
    dataset = cache.get(step.dataset, step.base_dir, step.name)
    earlier = [cache.get(s.dataset, s.base_dir, s.name) for s in step.joint_with]
    return run_step(step, dataset, out_dir, seed, earlier)


def run_method(sequence: ReleaseConfig, m: Method, seed: int, root: Path, cache: DatasetCache | None = None) -> dict[str, Any]:
    """Train ``m`` through every step of ``sequence`` (identical steps shared under ``root``) and evaluate each
    step's checkpoint on the sequence's held-out sets; returns the run result."""
    if not sequence.evaluation:
        raise ValueError(f"sequence {sequence.name!r} has no evaluation sets: a benchmark needs held-out cases")
    cache = cache or DatasetCache()
    checkpoints = [_train(p.config, p.out_dir, seed, cache) for p in plan_steps(sequence.steps, m, root)]
    base = sequence.steps[0].base_dir
    eval_sets = [cache.get(e.dataset, base, e.name) for e in sequence.evaluation]
    run = evaluate_sequence(checkpoints, eval_sets, sequence.name, m.name, hardware_label(), scores=cache.scores)
    log.info("%s %s seed %d: Dice after the last step %s", sequence.name, m.name, seed, json.dumps(run["steps"][-1]["dice"]))
    return run
