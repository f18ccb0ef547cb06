"""Train a release: every step of a release config in order (each from the previous step's final checkpoint and
on its own dataset only), then evaluate on the held-out sets. Re-running resumes where it stopped.

    models/.venv/bin/python -m contseg.training.release --config models/configs/release-fast.yaml --seed 0

--threads N overrides every step's CPU thread count (e.g. a GPU config re-run on a 2-core CPU).

Writes <out_dir>/<step>/final.pt per step, <out_dir>/final.pt (the last step's model), <out_dir>/evaluation.json,
and logs to <out_dir>/train.log.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import time
from dataclasses import replace
from pathlib import Path

from ..data.registry import build_dataset
from ..evaluation.evaluate import evaluate_dataset
from ..network.checkpoint import load_checkpoint
from .config import ReleaseConfig, load_release_config
from .runtime import ensure_fast_allocator, init_distributed
from .step import FINAL_FILE, earlier_datasets, run_step, setup_logging

log = logging.getLogger("contseg.training")


def train_release(release: ReleaseConfig, seed: int) -> Path:
    """Run all steps (skipping those whose final.pt exists for this seed); returns <out_dir>/final.pt."""
    previous: Path | None = None
    for step in release.steps:
        step_dir = release.out_dir / step.name
        final = step_dir / FINAL_FILE
        if step.strategy != "joint":  # a joint step trains from scratch on all steps' data
            step = replace(step, previous=previous if previous is not None else step.previous)
        if final.is_file() and _finished_with_seed(final, seed):
            log.info("step %s already trained: %s", step.name, final)
        else:
            t0 = time.time()
            dataset = build_dataset(step.dataset, step.base_dir, step.name)  # this step's dataset only
            run_step(step, dataset, step_dir, seed, earlier_datasets(step))
            log.info("step %s took %.1f min", step.name, (time.time() - t0) / 60)
        previous = final
    assert previous is not None
    out = release.out_dir / FINAL_FILE
    if init_distributed().is_main:
        shutil.copyfile(previous, out.with_suffix(".tmp"))
        out.with_suffix(".tmp").replace(out)
    return out


def with_threads(release: ReleaseConfig, threads: int) -> ReleaseConfig:
    """The release with every step's torch CPU threads set to ``threads`` (a GPU config's 8 would oversubscribe 2 cores)."""
    if threads < 0:
        raise ValueError(f"--threads must be >= 0 (0 = torch's default), got {threads}")
    steps = tuple(replace(step, train=replace(step.train, threads=threads)) for step in release.steps)
    return replace(release, steps=steps)


def _finished_with_seed(final: Path, seed: int) -> bool:
    _, ckpt = load_checkpoint(final)
    return bool(ckpt["lineage"]) and ckpt["lineage"][-1]["seed"] == seed


def evaluate_release(release: ReleaseConfig, final: Path) -> dict[str, object]:
    """Dice per class of the final model on every evaluation set; written to <out_dir>/evaluation.json.

    Padding is an inference setting: the release config's (its last step's preprocess.padding) wins over the checkpoint's.
    """
    model, ckpt = load_checkpoint(final)
    pre = ckpt["preprocess"]
    padding = release.steps[-1].preprocess.padding
    reports = {}
    for entry in release.evaluation:
        dataset = build_dataset(entry.dataset, release.steps[0].base_dir, entry.name)
        reports[entry.name] = evaluate_dataset(model, dataset, pre["spacing"], pre["patch"], pre["overlap"], padding)
        log.info("evaluation %s: %s", entry.name, json.dumps(reports[entry.name]["dice_postprocessed"]))
    result = {"checkpoint": str(final), "lineage": [s["name"] for s in ckpt["lineage"]], "padding": padding, "sets": reports}
    (release.out_dir / "evaluation.json").write_text(json.dumps(result, indent=2))
    return result


def main(argv: list[str] | None = None) -> None:
    """CLI entry point (see the module docstring)."""
    ensure_fast_allocator()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-evaluation", action="store_true")
    parser.add_argument(
        "--threads", type=int, help="CPU threads for every step, overriding the config's (speed only, not the recipe)"
    )
    args = parser.parse_args(argv)
    release = load_release_config(args.config)
    if args.threads is not None:
        release = with_threads(release, args.threads)
    setup_logging(release.out_dir / "train.log")
    t0 = time.time()
    final = train_release(release, args.seed)
    log.info("release %s trained in %.1f min: %s", release.name, (time.time() - t0) / 60, final)
    if not args.skip_evaluation and init_distributed().is_main:
        evaluate_release(release, final)
        log.info("release %s finished in %.1f min", release.name, (time.time() - t0) / 60)


if __name__ == "__main__":
    main()
