"""Evaluate a checkpoint on a dataset: sliding-window inference, threshold, post-processing, Dice and HD95 per class."""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from ..data.cases import PreparedCase
from ..data.datasets import SegmentationDataset
from ..data.preprocess import preprocess_case
from ..data.registry import build_dataset
from ..data.targets import encode_targets
from ..network.checkpoint import load_checkpoint
from ..network.segmenter import ContinualSegmenter
from .inference import hard_predictions, predict_probabilities
from .metrics import dice_per_class, hd95_per_class_many, mean_dice
from .postprocess import postprocess

log = logging.getLogger("contseg.evaluation")

# per-case scores, each {class: value or None}; means over cases under the same keys
SCORE_KEYS = ("dice", "dice_postprocessed", "hd95", "hd95_postprocessed")


def _average(per_case: list[dict[str, float | None]], classes: Sequence[str]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for name in classes:
        values = [c[name] for c in per_case if c.get(name) is not None]
        out[name] = round(sum(values) / len(values), 4) if values else None  # type: ignore[arg-type]
    return out


def score_case(
    model: ContinualSegmenter,
    prepared: PreparedCase,
    spacing: Sequence[float],
    patch: Sequence[int],
    overlap: float,
    padding: str = "constant",
) -> dict[str, dict[str, float | None]]:
    """One pre-processed case -> {"dice", "dice_postprocessed", "hd95", "hd95_postprocessed"}, each {class: value}.

    Measured on the pre-processed grid (RAS, ``spacing``, foreground crop), so HD95 uses ``spacing`` per axis.
    """
    classes = model.class_names
    target = encode_targets(prepared.label, classes, prepared.class_map)
    masks = hard_predictions(predict_probabilities(model, prepared.image, patch, overlap=overlap, padding=padding)).cpu()
    post = postprocess(masks, classes)
    hd95, hd95_post = hd95_per_class_many([masks, post], target, classes, spacing)  # one truth surface per class
    return {
        "dice": dice_per_class(masks, target, classes),
        "dice_postprocessed": dice_per_class(post, target, classes),
        "hd95": hd95,
        "hd95_postprocessed": hd95_post,
    }


def summarise_cases(dataset_name: str, classes: Sequence[str], cases: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-case results (each with the ``score_case`` keys) -> the dataset report: per class the mean over the cases
    where the value is defined (None when no case defines it), mean Dice over classes, and the cases."""
    means = {key: _average([case[key] for case in cases], classes) for key in SCORE_KEYS}
    return {
        "dataset": dataset_name,
        "classes": list(classes),
        **means,
        "mean_dice": mean_dice(means["dice"]),
        "mean_dice_postprocessed": mean_dice(means["dice_postprocessed"]),
        "cases": cases,
    }


def evaluate_dataset(
    model: ContinualSegmenter,
    dataset: SegmentationDataset,
    spacing: Sequence[float],
    patch: Sequence[int],
    overlap: float = 0.5,
    padding: str = "constant",
) -> dict[str, Any]:
    """Per-case and mean Dice and HD95 (mm), before and after post-processing, for every model class.

    A class's mean skips the cases where it is undefined (not annotated; Dice: truth and prediction empty; HD95:
    either empty) and is None when no case defines it.
    """
    cases: list[dict[str, Any]] = []
    for case_id in dataset.case_ids():
        t0 = time.time()
        prepared = preprocess_case(dataset.load(case_id), spacing)
        scores = score_case(model, prepared, spacing, patch, overlap, padding)
        cases.append({"case": case_id, "grid": list(prepared.image.shape[1:]), **scores, "seconds": round(time.time() - t0, 1)})
        log.info("evaluated %s: mean Dice %s (post-processed %s)", case_id, mean_dice(scores["dice"]), mean_dice(scores["dice_postprocessed"]))
    return summarise_cases(dataset.name, model.class_names, cases)


def main(argv: list[str] | None = None) -> None:
    """CLI: ``python -m contseg.evaluation.evaluate --checkpoint final.pt --dataset DATASET.yaml [--out report.json]``.

    DATASET.yaml is one dataset mapping (see contseg.data.registry); spacing/patch come from the checkpoint.
    """
    from ..training.config import load_yaml
    from ..training.runtime import ensure_fast_allocator

    ensure_fast_allocator()
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    model, ckpt = load_checkpoint(args.checkpoint, "cuda" if torch.cuda.is_available() else "cpu")
    spec = load_yaml(args.dataset)
    dataset = build_dataset(spec, args.dataset.resolve().parent, args.dataset.stem)
    pre = ckpt["preprocess"]
    report = evaluate_dataset(model, dataset, pre["spacing"], pre["patch"], pre.get("overlap", 0.5), pre.get("padding", "constant"))
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
