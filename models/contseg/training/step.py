"""One continual step: load the previous checkpoint, add the new classes, build targets (pseudo labels + new ground
truth) on THIS step's dataset only, train, checkpoint (resumable), and write the step's final checkpoint.

A step never opens an earlier step's dataset: ``run_step`` receives its own dataset object, and ``step_sources``
refuses earlier datasets for every strategy but ``joint`` (the upper bound that, by definition, trains on all data).
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from monai.transforms import Compose
from monai.utils import set_determinism
from torch.nn.parallel import DistributedDataParallel

from ..data.datasets import SegmentationDataset
from ..data.preprocess import preprocess_case
from ..data.registry import build_dataset
from ..data.sampling import foreground_of, patch_transform
from ..data.targets import encode_targets
from ..evaluation.metrics import dice_per_class
from ..network.checkpoint import load_checkpoint, save_checkpoint
from ..network.class_heads import ClassHeads
from ..network.embeddings import class_embedding
from ..network.segmenter import ContinualSegmenter
from .config import StepConfig, load_step_config
from .objective import StepObjective
from .pseudo_labels import compose_step_target, pseudo_labels
from .runtime import DistributedContext, barrier, ensure_fast_allocator, init_distributed
from .schedule import warmup_cosine

log = logging.getLogger("contseg.training")

RESUME_FILE = "last.pt"
FINAL_FILE = "final.pt"


@dataclass(eq=False)
class TrainingCase:
    """One case ready for patch sampling: image [1, D, H, W], target int8 [C, D, H, W], foreground [1, D, H, W]."""

    case_id: str
    image: torch.Tensor
    target: torch.Tensor
    foreground: torch.Tensor


def _plain(t: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(t).as_subclass(torch.Tensor)


def build_model(step: StepConfig, ctx: DistributedContext) -> tuple[ContinualSegmenter, ContinualSegmenter | None, list[dict[str, Any]]]:
    """(model to train with the new classes added, frozen previous model or None, lineage so far)."""
    if step.previous is None:
        model = ContinualSegmenter(feature_size=step.model.feature_size, heads_kind=step.model.heads_kind)
        previous, lineage = None, []
    else:
        previous, ckpt = load_checkpoint(step.previous, map_location=ctx.device)
        model = copy.deepcopy(previous)
        lineage = list(ckpt.get("lineage", []))
    clash = [c for c in step.trained_classes if c in model.class_names]
    if clash:
        raise ValueError(f"step {step.name!r}: classes {clash} are already in the previous model")
    for name in step.trained_classes:
        vector, source = class_embedding(name, step.embeddings)
        model.add_class(name, vector, source)
    if previous is not None:
        previous.requires_grad_(False).eval().to(ctx.device)
    return model.to(ctx.device), previous, lineage


def step_sources(
    step: StepConfig, dataset: SegmentationDataset, earlier: Sequence[SegmentationDataset] = ()
) -> list[SegmentationDataset]:
    """The data a step may read, each viewed through ``only(...)`` the classes whose ground truth it may use.

    Every continual strategy reads its own dataset only, restricted to its new classes (old classes' ground truth is
    never used, even where the dataset has it); it refuses earlier datasets. ``joint`` is the one exception: it reads
    its own and every earlier step's dataset (``earlier``, one per ``step.joint_with``) with all their ground truth.
    """
    if step.strategy != "joint":
        if earlier:
            raise ValueError(f"step {step.name!r}: strategy {step.strategy!r} must not open earlier steps' datasets")
        return [dataset.only(step.new_classes)]
    if len(earlier) != len(step.joint_with):
        raise ValueError(f"step {step.name!r}: joint training needs {len(step.joint_with)} earlier datasets, got {len(earlier)}")
    return [d.only(step.trained_classes) for d in (*earlier, dataset)]


# strategies whose old-class targets are the previous model's pseudo labels (Eq. 3) computed once per case
PSEUDO_LABEL_STRATEGIES = ("pseudo-labels", "plop")


def prepare_cases(
    step: StepConfig,
    sources: Sequence[SegmentationDataset],
    model: ContinualSegmenter,
    previous: ContinualSegmenter | None,
    ctx: DistributedContext,
) -> list[TrainingCase]:
    """This rank's share of the cases of ``sources`` (from ``step_sources``) with targets in ``model.class_names`` order.

    Old classes get pseudo labels (pseudo-labels, plop) or -1 (fine-tune; lwf / ilt supervise them online from the old
    model); a joint step's classes all come from ground truth (-1 where a dataset does not annotate a class).
    """
    old_classes = [c for c in model.class_names if c not in step.trained_classes]
    all_ids = [(source, case_id) for source in sources for case_id in source.case_ids()]
    if not all_ids:
        raise ValueError(f"step {step.name!r}: datasets {[s.name for s in sources]} have no case")
    # each rank trains on its share; with fewer cases than ranks, ranks share cases
    ids = all_ids[ctx.rank :: ctx.world_size] or [all_ids[ctx.rank % len(all_ids)]]
    cases = []
    for source, case_id in ids:
        t0 = time.time()
        prepared = preprocess_case(source.load(case_id), step.preprocess.spacing)
        truth = encode_targets(prepared.label, step.trained_classes, prepared.class_map)
        old = None
        if previous is not None and step.strategy in PSEUDO_LABEL_STRATEGIES:
            old = pseudo_labels(previous, prepared.image, step.preprocess.patch, step.preprocess.overlap, step.preprocess.padding)
        target = compose_step_target(old_classes, old, step.trained_classes, truth)
        cases.append(TrainingCase(f"{source.name}/{case_id}", _plain(prepared.image), target, crop_centres(target, len(old_classes))))
        log.info("prepared %s %s in %.1fs", case_id, tuple(prepared.image.shape[1:]), time.time() - t0)
    return cases


def crop_centres(target: torch.Tensor, n_old: int) -> torch.Tensor:
    """Where positive patches are centred: target int8 [C, D, H, W] (old classes first) -> uint8 [1, D, H, W].

    On this step's new classes where the case has any (a small new class such as a tumour would otherwise be drawn
    around the old classes' large pseudo-labelled organs and barely ever seen); on all classes otherwise.
    """
    new = target[n_old:]
    return foreground_of(new if n_old > 0 and bool((new > 0).any()) else target)


def trainable_parameters(model: ContinualSegmenter, step: StepConfig) -> list[torch.nn.Parameter]:
    """All parameters (full step) or only the new classes' generators (head-only: backbone and old heads frozen)."""
    if step.mode == "full":
        model.requires_grad_(True)
        return list(model.parameters())
    if not isinstance(model.heads, ClassHeads):
        raise ValueError("head-only steps need per-class heads (heads_kind 'class')")
    model.requires_grad_(False)
    params: list[torch.nn.Parameter] = []
    for name in step.new_classes:
        generator = model.heads.generators[name]
        generator.requires_grad_(True)
        params += list(generator.parameters())
    return params


class StepTrainer:
    """Runs the optimisation of one step; resumable from ``out_dir/last.pt``."""

    def __init__(
        self, step: StepConfig, dataset: SegmentationDataset, out_dir: Path, seed: int, earlier: Sequence[SegmentationDataset] = ()
    ) -> None:
        self.step, self.dataset, self.out_dir, self.seed = step, dataset, Path(out_dir), seed
        self.sources = step_sources(step, dataset, earlier)  # refuses earlier datasets unless the step is joint
        self.ctx = init_distributed(step.train.threads)

    def _seed_everything(self) -> None:
        s = self.seed * 1000 + self.ctx.rank
        random.seed(s)
        np.random.seed(s)
        torch.manual_seed(s)
        set_determinism(seed=s)

    def run(self) -> Path:
        """Train the step; returns the path of its final checkpoint."""
        step, ctx, cfg = self.step, self.ctx, self.step.train
        self._seed_everything()
        started = time.time()
        model, previous, lineage = build_model(step, ctx)
        cases = prepare_cases(step, self.sources, model, previous, ctx)
        objective = StepObjective(step.strategy, model, previous)  # keeps the frozen old model only where needed
        del previous
        params = trainable_parameters(model, step)
        optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        scheduler = warmup_cosine(optimizer, int(cfg.warmup_fraction * cfg.iterations), cfg.iterations)
        sampler = patch_transform(step.preprocess.patch, cfg.thin_slab_prob)
        sampler.set_random_state(seed=self.seed * 1000 + ctx.rank)
        rng = np.random.default_rng([self.seed, ctx.rank])
        start_iter = self._resume(model, optimizer, scheduler, sampler, rng)
        net: torch.nn.Module = model
        if ctx.world_size > 1:
            net = DistributedDataParallel(model, device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None)
        net.train()
        classes = model.class_names
        window: list[float] = []
        for it in range(start_iter, cfg.iterations):
            t0 = time.time()
            picks = rng.integers(len(cases), size=cfg.batch_size)
            patches = [sampler({"image": cases[i].image, "target": cases[i].target, "foreground": cases[i].foreground})[0] for i in picks]
            image = torch.stack([_plain(p["image"]) for p in patches]).to(ctx.device)
            target = torch.stack([_plain(p["target"]) for p in patches]).to(ctx.device)
            logits, loss = objective(net, image, target, autocast=ctx.device.type == "cuda")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            window.append(loss.item())
            done = it + 1
            if ctx.is_main and (done % cfg.log_every == 0 or done == cfg.iterations):
                self._log(done, window, logits, target, classes, time.time() - t0, scheduler.get_last_lr()[0])
                window = []
            if done % cfg.checkpoint_every == 0 and done < cfg.iterations:
                self._save_resume(model, optimizer, scheduler, sampler, rng, done, lineage)
        record = {
            "step": len(lineage) + 1,
            "name": step.name,
            "dataset": self.dataset.name,
            "cases": self.dataset.case_ids(),
            "joint_with": [{"step": s.name, "dataset": d.name, "cases": d.case_ids()} for s, d in zip(step.joint_with, self.sources)],
            "new_classes": list(step.new_classes),
            "previous": str(step.previous) if step.previous else None,
            "mode": step.mode,
            "strategy": step.strategy,
            "embeddings": step.embeddings,
            "iterations": cfg.iterations,
            "seed": self.seed,
            "world_size": ctx.world_size,
            "device": str(ctx.device),
            "preprocess": asdict(step.preprocess),
            "train": asdict(cfg),
            "wall_seconds_last_run": round(time.time() - started, 1),
        }
        final = self.out_dir / FINAL_FILE
        if ctx.is_main:
            save_checkpoint(final, model, **self._common_meta(lineage + [record]))
            (self.out_dir / RESUME_FILE).unlink(missing_ok=True)
            log.info("step %s done: %s", step.name, final)
        barrier(ctx)
        return final

    def _common_meta(self, lineage: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "embeddings_kind": self.step.embeddings,
            "lineage": lineage,
            "preprocess": {**asdict(self.step.preprocess), "window_hu": [-175.0, 250.0], "orientation": "RAS"},
        }

    def _log(
        self, done: int, losses: list[float], logits: torch.Tensor, target: torch.Tensor, classes: list[str], seconds: float, lr: float
    ) -> None:
        """One JSON log line: mean loss since the last line, learning rate, seconds per iteration, batch Dice per class."""
        with torch.no_grad():
            pred = (logits.detach().float() > 0).cpu()
            tgt = target.cpu()
            per_class: dict[str, list[float]] = {c: [] for c in classes}
            for b in range(pred.shape[0]):
                for name, value in dice_per_class(pred[b], tgt[b], classes).items():
                    if value is not None:
                        per_class[name].append(value)
        dice = {c: round(sum(v) / len(v), 3) for c, v in per_class.items() if v}
        log.info(
            "%s", json.dumps({"step": self.step.name, "iter": done, "loss": round(sum(losses) / len(losses), 4), "lr": lr, "sec_per_iter": round(seconds, 2), "batch_dice": dice})
        )

    def _save_resume(
        self,
        model: ContinualSegmenter,
        optimizer: torch.optim.Optimizer,
        scheduler: torch.optim.lr_scheduler.LambdaLR,
        sampler: Compose,
        rng: np.random.Generator,
        done: int,
        lineage: list[dict[str, Any]],
    ) -> None:
        """Write ``out_dir/last.pt``: the model plus everything needed to continue exactly (rank 0 only)."""
        if not self.ctx.is_main:
            return
        state = {
            "iteration": done,
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "numpy_rng": rng.bit_generator.state,
            "sampler_rng": [t.R.get_state() for t in sampler.transforms if hasattr(t, "R")],
            "seed": self.seed,
            "step": self.step.name,
        }
        save_checkpoint(self.out_dir / RESUME_FILE, model, **self._common_meta(lineage), training=state)
        log.info("checkpoint %s at iteration %d", self.out_dir / RESUME_FILE, done)

    def _resume(
        self,
        model: ContinualSegmenter,
        optimizer: torch.optim.Optimizer,
        scheduler: torch.optim.lr_scheduler.LambdaLR,
        sampler: Compose,
        rng: np.random.Generator,
    ) -> int:
        """Load ``out_dir/last.pt`` into the given objects when it exists; returns the iteration to continue from."""
        path = self.out_dir / RESUME_FILE
        if not path.is_file():
            return 0
        ckpt = torch.load(path, map_location=self.ctx.device, weights_only=False)
        state = ckpt["training"]
        if state["step"] != self.step.name or state["seed"] != self.seed:
            raise ValueError(f"{path} belongs to step {state['step']!r} seed {state['seed']}, not {self.step.name!r} seed {self.seed}")
        model.load_state_dict(ckpt["state_dict"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])
        rng.bit_generator.state = state["numpy_rng"]
        for t, s in zip([t for t in sampler.transforms if hasattr(t, "R")], state["sampler_rng"]):
            t.R.set_state(s)
        log.info("resumed %s from iteration %d", self.step.name, state["iteration"])
        return int(state["iteration"])


def run_step(
    step: StepConfig, dataset: SegmentationDataset, out_dir: Path, seed: int, earlier: Sequence[SegmentationDataset] = ()
) -> Path:
    """Train ``step`` on ``dataset`` (its own dataset object: the only data a continual step can read); returns final.pt.

    ``earlier``: the datasets of ``step.joint_with``, for a joint step only (any other strategy refuses them).
    """
    return StepTrainer(step, dataset, out_dir, seed, earlier).run()


def earlier_datasets(step: StepConfig) -> list[SegmentationDataset]:
    """The datasets of a joint step's earlier steps (empty for every other strategy, which must not open them)."""
    return [build_dataset(s.dataset, s.base_dir, s.name) for s in step.joint_with] if step.strategy == "joint" else []


def setup_logging(log_file: Path | None = None) -> None:
    """Log to stderr and, when given, to a file (append)."""
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", handlers=handlers, force=True)


def main(argv: list[str] | None = None) -> None:
    """CLI: ``python -m contseg.training.step --config STEP.yaml [--previous CKPT] [--out DIR] --seed N``."""
    ensure_fast_allocator()
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--previous", type=Path, help="previous step's checkpoint (overrides the config's)")
    parser.add_argument("--out", type=Path, help="output folder (overrides the config's out_dir)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    step = load_step_config(args.config)
    if args.previous is not None:
        step = StepConfig(**{**step.__dict__, "previous": args.previous.resolve()})
    out_dir = args.out or step.out_dir
    if out_dir is None:
        parser.error("no output folder: give --out or out_dir in the config")
    setup_logging(Path(out_dir) / "train.log")
    dataset = build_dataset(step.dataset, step.base_dir, step.name)
    run_step(step, dataset, Path(out_dir), args.seed, earlier_datasets(step))


if __name__ == "__main__":
    main()
