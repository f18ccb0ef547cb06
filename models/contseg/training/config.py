"""Step and release configurations (YAML in models/configs/).

A step config holds ONE dataset block; a release config holds shared defaults, a list of steps and evaluation sets.
Unknown keys are refused so a typo never silently falls back to a default.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import yaml

from ..network.embeddings import EmbeddingKind, load_catalogue
from ..network.segmenter import SIZE_MULTIPLE, HeadsKind

StepMode = Literal["full", "head-only"]
# Old-class supervision. "pseudo-labels" is the paper's method; "fine-tune" ignores old classes (lower bound);
# "lwf", "ilt", "plop" are the distillation baselines (contseg.training.objective); "joint" trains every class on
# all steps' datasets with their ground truth (upper bound).
Strategy = Literal["pseudo-labels", "fine-tune", "lwf", "ilt", "plop", "joint"]
STRATEGIES: tuple[str, ...] = ("pseudo-labels", "fine-tune", "lwf", "ilt", "plop", "joint")


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of a first step (later steps inherit it from the previous checkpoint)."""

    feature_size: int = 48
    heads_kind: HeadsKind = "class"


@dataclass(frozen=True)
class PreprocessConfig:
    """Resampling grid and patch (the paper: 1.5 mm, 96^3; the fast tier: 3 mm, 64^3)."""

    spacing: tuple[float, float, float] = (1.5, 1.5, 1.5)
    patch: tuple[int, int, int] = (96, 96, 96)
    overlap: float = 0.5
    # how inference pads a volume smaller than the patch: "constant" 0 (MONAI's default) or "replicate" (edge voxels;
    # a model trained on whole volumes then reads a thin series). Saved in checkpoints and manifests.
    padding: Literal["constant", "replicate"] = "constant"


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings of one step."""

    iterations: int = 1000
    batch_size: int = 2
    lr: float = 1e-4
    weight_decay: float = 1e-5
    warmup_fraction: float = 0.15
    log_every: int = 10
    checkpoint_every: int = 50
    threads: int = 0  # CPU threads for torch; 0 = torch's default
    thin_slab_prob: float = 0.0  # share of patches cut to a thin axial slab (contseg.data.sampling.RandAxialSlabd)


@dataclass(frozen=True)
class StepConfig:
    """One continual step: train ``new_classes`` on ``dataset`` starting from ``previous`` (None for the first)."""

    name: str
    dataset: dict[str, Any]
    new_classes: tuple[str, ...]
    base_dir: Path
    previous: Path | None = None
    mode: StepMode = "full"
    strategy: Strategy = "pseudo-labels"
    embeddings: EmbeddingKind = "clip"
    model: ModelConfig = ModelConfig()
    preprocess: PreprocessConfig = PreprocessConfig()
    train: TrainConfig = TrainConfig()
    out_dir: Path | None = None
    # joint only: the earlier steps whose datasets and classes this step trains on together with its own
    joint_with: tuple[StepConfig, ...] = ()

    @property
    def trained_classes(self) -> tuple[str, ...]:
        """Classes this step adds to the model: its new classes, after every earlier step's for a joint step."""
        return tuple(c for s in self.joint_with for c in s.new_classes) + self.new_classes

    def __post_init__(self) -> None:
        catalogue = load_catalogue()
        unknown = [c for c in self.new_classes if c not in catalogue]
        if unknown:
            raise ValueError(f"step {self.name!r}: new classes {unknown} are not in the catalogue")
        if not self.new_classes:
            raise ValueError(f"step {self.name!r}: no new classes")
        if len(set(self.new_classes)) != len(self.new_classes):
            raise ValueError(f"step {self.name!r}: new classes repeat")
        if self.mode not in ("full", "head-only"):
            raise ValueError(f"step {self.name!r}: mode must be 'full' or 'head-only', got {self.mode!r}")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"step {self.name!r}: strategy {self.strategy!r} is not one of {list(STRATEGIES)}")
        self._check_joint()
        if self.strategy in ("lwf", "ilt", "plop") and self.previous is None:
            raise ValueError(f"step {self.name!r}: strategy {self.strategy!r} distils from a previous checkpoint; none given")
        if self.mode == "head-only" and self.previous is None:
            raise ValueError(f"step {self.name!r}: a head-only step needs a previous checkpoint")
        if self.preprocess.padding not in ("constant", "replicate"):
            raise ValueError(f"step {self.name!r}: preprocess.padding must be 'constant' or 'replicate', got {self.preprocess.padding!r}")
        if any(p % SIZE_MULTIPLE or p < 2 * SIZE_MULTIPLE for p in self.preprocess.patch):
            # a 32 patch leaves a 1x1x1 bottleneck, which SwinUNETR's instance norms cannot train on
            raise ValueError(
                f"step {self.name!r}: patch {self.preprocess.patch} must be multiples of {SIZE_MULTIPLE}, at least {2 * SIZE_MULTIPLE}"
            )
        if not isinstance(self.dataset, dict) or "kind" not in self.dataset:
            raise ValueError(f"step {self.name!r}: 'dataset' must be one dataset mapping with a 'kind'")


    def _check_joint(self) -> None:
        """Only a joint step lists earlier steps; it trains from scratch, in full, on classes that never repeat."""
        if self.strategy != "joint":
            if self.joint_with:
                raise ValueError(f"step {self.name!r}: only strategy 'joint' may list earlier steps (joint_with)")
            return
        if not self.joint_with:
            raise ValueError(f"step {self.name!r}: a joint step needs the earlier steps it trains with (joint_with)")
        if self.previous is not None or self.mode != "full":
            raise ValueError(f"step {self.name!r}: a joint step trains all classes from scratch (no previous, mode full)")
        if len(set(self.trained_classes)) != len(self.trained_classes):
            raise ValueError(f"step {self.name!r}: classes repeat across the joint steps: {list(self.trained_classes)}")


def _section(cls: type, data: Any, where: str) -> Any:
    data = data or {}
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a mapping, got {data!r}")
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; allowed: {sorted(names)}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    return cls(**values)


def _merge(base: dict[str, Any] | None, override: dict[str, Any] | None) -> dict[str, Any]:
    return {**(base or {}), **(override or {})}


_STEP_KEYS = {
    "name", "dataset", "new_classes", "previous", "mode", "strategy", "embeddings", "model", "preprocess", "train", "out_dir", "joint_with"
}


def step_from_mapping(
    data: dict[str, Any], base_dir: Path, defaults: dict[str, Any] | None = None, earlier: tuple[StepConfig, ...] = ()
) -> StepConfig:
    """A StepConfig from a YAML mapping; ``defaults`` supplies model/preprocess/train/embeddings shared by a release.

    ``joint_with`` lists earlier steps: step YAML files (relative to ``base_dir``) or, in a release, names of the
    release's ``earlier`` steps.
    """
    defaults = defaults or {}
    unknown = sorted(set(data) - _STEP_KEYS)
    if unknown:
        raise ValueError(f"step {data.get('name')!r}: unknown keys {unknown}; allowed: {sorted(_STEP_KEYS)}")
    name = str(data.get("name") or "step")
    for key in ("dataset", "new_classes"):
        if key not in data:
            raise ValueError(f"step {name!r}: missing {key!r}")
    previous = data.get("previous")
    out_dir = data.get("out_dir")
    return StepConfig(
        name=name,
        dataset=data["dataset"],
        new_classes=tuple(data["new_classes"]),
        base_dir=base_dir,
        previous=(base_dir / previous).resolve() if previous else None,
        mode=data.get("mode", "full"),
        strategy=data.get("strategy", "pseudo-labels"),
        embeddings=data.get("embeddings", defaults.get("embeddings", "clip")),
        model=_section(ModelConfig, _merge(defaults.get("model"), data.get("model")), f"{name}.model"),
        preprocess=_section(PreprocessConfig, _merge(defaults.get("preprocess"), data.get("preprocess")), f"{name}.preprocess"),
        train=_section(TrainConfig, _merge(defaults.get("train"), data.get("train")), f"{name}.train"),
        out_dir=(base_dir / out_dir).resolve() if out_dir else None,
        joint_with=tuple(_earlier_step(ref, base_dir, earlier, name) for ref in data.get("joint_with") or []),
    )


def _earlier_step(ref: Any, base_dir: Path, earlier: tuple[StepConfig, ...], name: str) -> StepConfig:
    """A ``joint_with`` entry: the name of an earlier step of the same release, else a step YAML file."""
    by_name = {s.name: s for s in earlier}
    if str(ref) in by_name:
        return by_name[str(ref)]
    path = (base_dir / str(ref)).resolve()
    if not path.is_file():
        raise ValueError(f"step {name!r}: joint_with entry {ref!r} is neither an earlier step nor a step config file")
    return load_step_config(path)


def load_yaml(path: Path) -> dict[str, Any]:
    """A YAML file's top-level mapping, with a clear error when it is not one."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config not found: {path}")
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


def load_step_config(path: Path) -> StepConfig:
    """One step from its YAML file (paths in it are relative to the file's folder)."""
    path = Path(path).resolve()
    return step_from_mapping(load_yaml(path), path.parent)


@dataclass(frozen=True)
class EvaluationSet:
    """A held-out dataset the release is evaluated on after its last step."""

    name: str
    dataset: dict[str, Any]


@dataclass(frozen=True)
class ReleaseConfig:
    """A sequence of continual steps run one after the other, then evaluated; the last checkpoint is final.pt."""

    name: str
    out_dir: Path
    steps: tuple[StepConfig, ...]
    evaluation: tuple[EvaluationSet, ...] = field(default_factory=tuple)


_RELEASE_KEYS = {"name", "out_dir", "defaults", "steps", "evaluation"}


def load_release_config(path: Path) -> ReleaseConfig:
    """A release YAML: {name, out_dir, defaults: {model, preprocess, train, embeddings}, steps: [...], evaluation: [...]}."""
    path = Path(path).resolve()
    data = load_yaml(path)
    unknown = sorted(set(data) - _RELEASE_KEYS)
    if unknown:
        raise ValueError(f"{path}: unknown keys {unknown}; allowed: {sorted(_RELEASE_KEYS)}")
    if not data.get("steps"):
        raise ValueError(f"{path}: no steps")
    base = path.parent
    out_dir = (base / data["out_dir"]).resolve()
    steps: tuple[StepConfig, ...] = ()
    for entry in data["steps"]:
        if steps and "previous" not in entry and entry.get("strategy") != "joint":
            # a later step continues from the step before it (train_release passes the same path)
            entry = {**entry, "previous": str(out_dir / steps[-1].name / "final.pt")}
        steps += (step_from_mapping(entry, base, data.get("defaults"), earlier=steps),)
    names = [s.name for s in steps]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: step names repeat: {names}")
    evaluation = tuple(EvaluationSet(str(e["name"]), e["dataset"]) for e in data.get("evaluation") or [])
    return ReleaseConfig(name=str(data.get("name", path.stem)), out_dir=out_dir, steps=steps, evaluation=evaluation)
