"""The compared methods, each as the per-step variant of a sequence's release-format step configs.

A sequence config (models/configs/continual/<sequence>.yaml) is a release config whose steps carry data and new
classes; a method rewrites each step's strategy, embeddings, heads kind and mode. Steps that two methods train
identically (every class-head CLIP method shares step 1) get the same checkpoint folder, so they are trained once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..network.embeddings import EmbeddingKind
from ..network.segmenter import HeadsKind
from ..training.config import StepConfig, StepMode, Strategy
from ..training.step import FINAL_FILE


@dataclass(frozen=True)
class Method:
    """How a method trains steps 2..T (step 1 is plain supervised training of the first classes for every method).

    ``strategy`` supervises old classes (see contseg.training.config.Strategy); ``mode`` "head-only" freezes the
    backbone and old heads after step 1; "joint" retrains all classes from scratch on all steps' data at every step.
    """

    name: str
    label: str
    strategy: Strategy
    embeddings: EmbeddingKind = "clip"
    heads_kind: HeadsKind = "class"
    mode: StepMode = "full"


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("fine-tune", "Fine-tune (no pseudo labels)", "fine-tune"),
        Method("lwf", "LwF", "lwf"),
        Method("ilt", "ILT", "ilt"),
        Method("plop", "PLOP", "plop"),
        Method("ours-one-hot", "Ours, one-hot embeddings", "pseudo-labels", embeddings="one-hot"),
        Method("ours-clip", "Ours, CLIP embeddings", "pseudo-labels"),
        Method("universal", "Shared generator (Universal Model)", "pseudo-labels", heads_kind="universal"),
        # frozen backbone and old heads: old classes cannot change, so only new-class ground truth is used
        Method("head-only", "Ours, head-only steps", "fine-tune", mode="head-only"),
        Method("joint", "Joint training (upper bound)", "joint"),
    )
}


def method(name: str) -> Method:
    """The method called ``name``; a clear error lists the known ones."""
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; known: {', '.join(METHODS)}")
    return METHODS[name]


@dataclass(frozen=True)
class PlannedStep:
    """One step of a method's run: its config and the folder of its final checkpoint (shared where identical)."""

    config: StepConfig
    out_dir: Path


def _first_step(step: StepConfig, m: Method) -> StepConfig:
    return replace(
        step, strategy="pseudo-labels", mode="full", previous=None, embeddings=m.embeddings, model=replace(step.model, heads_kind=m.heads_kind)
    )


def plan_steps(steps: tuple[StepConfig, ...], m: Method, root: Path) -> list[PlannedStep]:
    """The steps of ``m`` on a sequence, in order, with checkpoint folders under ``root``.

    Folder of step t = root / tag_1 / ... / tag_t, where a tag names what the step trains; a joint step (which
    starts from scratch) lives under root / "joint" / <its step name>.
    """
    if not steps:
        raise ValueError("a sequence needs at least one step")
    first = _first_step(steps[0], m)
    folder = root / f"{first.model.heads_kind}-{first.embeddings}" / steps[0].name
    planned = [PlannedStep(first, folder)]
    for t, step in enumerate(steps[1:], start=1):
        common = {"embeddings": m.embeddings, "model": replace(step.model, heads_kind=m.heads_kind)}
        if m.strategy == "joint":
            earlier = tuple(replace(s, **common) for s in steps[:t])
            total = sum(s.train.iterations for s in steps[: t + 1])  # the same budget the sequence spent so far
            config = replace(
                step, **common, strategy="joint", mode="full", previous=None, joint_with=earlier,
                train=replace(step.train, iterations=total),
            )
            planned.append(PlannedStep(config, root / "joint" / step.name))
            continue
        previous = planned[-1].out_dir
        config = replace(step, **common, strategy=m.strategy, mode=m.mode, previous=previous / FINAL_FILE)
        planned.append(PlannedStep(config, previous / f"{m.strategy}-{m.mode}" / step.name))
    return planned
