"""Benchmark configuration (models/configs/continual/<tier>.yaml): which sequences, methods and seeds, and the
compute measurement's settings. Sequences are release-format configs (contseg.training.config); unknown keys are
refused so a typo never silently falls back to a default."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..training.config import ReleaseConfig, load_release_config, load_yaml
from .methods import METHODS, method


@dataclass(frozen=True)
class ComputeConfig:
    """Compute per step: FLOPs counted (meta tensors, no arithmetic) at ``feature_size``/``patch`` and at
    ``flops_feature_size``/``flops_patch`` (the paper's 48 and 96^3) for every count in ``classes``; wall time
    measured on this machine at ``feature_size``/``patch`` for the counts in ``timed_classes`` (default: all)."""

    classes: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
    timed_classes: tuple[int, ...] = ()
    classes_per_step: int = 1
    feature_size: int = 12
    patch: tuple[int, int, int] = (64, 64, 64)
    flops_feature_size: int = 48
    flops_patch: tuple[int, int, int] = (96, 96, 96)
    repeats: int = 3


@dataclass(frozen=True)
class BenchmarkConfig:
    """A tier of the benchmark: ``out_dir`` holds checkpoints, evaluations and run records."""

    name: str
    out_dir: Path
    sequences: tuple[ReleaseConfig, ...]
    methods: tuple[str, ...]
    seeds: tuple[int, ...]
    compute: ComputeConfig


_KEYS = {"name", "out_dir", "sequences", "methods", "seeds", "compute"}


def _compute(data: Any, path: Path) -> ComputeConfig:
    data = data or {}
    allowed = set(ComputeConfig.__dataclass_fields__)
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValueError(f"{path}: compute: unknown keys {unknown}; allowed: {sorted(allowed)}")
    config = ComputeConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
    if not config.classes or min(config.classes) < 1 or config.classes_per_step < 1 or config.repeats < 1:
        raise ValueError(f"{path}: compute: classes, classes_per_step and repeats must be positive")
    if not set(config.timed_classes) <= set(config.classes):
        raise ValueError(f"{path}: compute: timed_classes {list(config.timed_classes)} must be among classes {list(config.classes)}")
    return config


def load_benchmark_config(path: Path) -> BenchmarkConfig:
    """{name, out_dir, sequences: [release YAML, ...], methods: [...], seeds: [...], compute: {...}}; paths are
    relative to the file's folder."""
    path = Path(path).resolve()
    data = load_yaml(path)
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ValueError(f"{path}: unknown keys {unknown}; allowed: {sorted(_KEYS)}")
    missing = [k for k in ("out_dir", "sequences", "methods", "seeds") if not data.get(k)]
    if missing:
        raise ValueError(f"{path}: missing or empty {missing}")
    for name in data["methods"]:
        method(name)  # refuses unknown methods naming the known ones
    seeds = data["seeds"]
    if not all(isinstance(s, int) for s in seeds) or len(set(seeds)) != len(seeds):
        raise ValueError(f"{path}: seeds must be distinct integers, got {seeds!r}")
    sequences = tuple(load_release_config(path.parent / s) for s in data["sequences"])
    names = [s.name for s in sequences]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: sequence names repeat: {names}")
    return BenchmarkConfig(
        name=str(data.get("name", path.stem)),
        out_dir=(path.parent / data["out_dir"]).resolve(),
        sequences=sequences,
        methods=tuple(m for m in METHODS if m in data["methods"]),
        seeds=tuple(seeds),
        compute=_compute(data.get("compute"), path),
    )


def tier_setup(config: BenchmarkConfig) -> list[str]:
    """Markdown lines saying what a tier trains: per sequence its steps, new classes and iterations, and the scale."""
    first = config.sequences[0].steps[0]
    lines = [
        f"Config `{config.name}`: feature size {first.model.feature_size}, {first.preprocess.spacing[0]:g} mm, "
        f"{'x'.join(map(str, first.preprocess.patch))} patches, batch {first.train.batch_size}; methods "
        f"{', '.join(config.methods)}; seeds {list(config.seeds)}.",
        "",
    ]
    for sequence in config.sequences:
        steps = "; ".join(f"{s.name} ({', '.join(s.new_classes)}; {s.train.iterations} iterations)" for s in sequence.steps)
        held_out = ", ".join(e.name for e in sequence.evaluation)
        lines.append(f"- `{sequence.name}`: {steps}; held out: {held_out}.")
    return lines
