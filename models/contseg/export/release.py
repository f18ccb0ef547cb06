"""Write a complete model folder from a training checkpoint: backbone.onnx (+ backbone.fp16.onnx), heads.onnx,
classes/<slug>.f32 and manifest.json, checked against PyTorch before it is published.

Everything is written into a temporary sibling folder and renamed into place at the end, so a failed export never
leaves a half model folder behind.
"""

from __future__ import annotations

import json
import platform
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import torch

from contseg.network import ContinualSegmenter, load_checkpoint, stack_folded

from .backbone import OPSET, convert_backbone_fp16, export_backbone
from .heads import class_slug, export_heads, read_class_file, write_class_file
from .manifest import MANIFEST_FILE, MANIFEST_FORMAT, check_manifest, file_entries, heads_section, manifest_class, update_index

BACKBONE_FILE = "backbone.onnx"
BACKBONE_FP16_FILE = "backbone.fp16.onnx"
HEADS_FILE = "heads.onnx"
# Refuse to publish an fp32 export whose logits differ from PyTorch by more than this fraction of the largest
# |logit| (at least 1) on the check patch: trained heads reach |logits| of 10^3, where float32 summation order
# alone moves them by ~1e-5 relative.
FP32_RELATIVE_TOLERANCE = 1e-4


@dataclass(frozen=True)
class ReleaseOptions:
    """What to export and how to name it."""

    checkpoint: Path
    out: Path
    version: str
    fp16: bool = False
    model_id: str | None = None
    parent: str | None = None  # "id@version"
    description: str = ""
    replace: bool = False
    padding: str | None = None  # inference padding of a volume smaller than the patch; None: the checkpoint's
    depth_stacked_convs: bool = False  # stride-1 Conv3d as depth-stacked Conv2d: a WebGPU-only graph (export_backbone)


def onnx_logits(folder: Path, backbone: str, manifest_classes: list[dict[str, Any]], image: np.ndarray) -> np.ndarray:
    """Run backbone + heads with ONNX Runtime (CPU) the way the browser does: image [B,1,P,P,P] -> logits [B,C,P,P,P]."""
    options = ort.SessionOptions()
    options.log_severity_level = 3
    bb = ort.InferenceSession(str(folder / backbone), options, providers=["CPUExecutionProvider"])
    feature, head_input = bb.run(None, {"image": image})
    gens = stack_folded([read_class_file(folder / c["file"]) for c in manifest_classes])
    heads = ort.InferenceSession(str(folder / HEADS_FILE), options, providers=["CPUExecutionProvider"])
    feeds = {"feature": feature, "head_input": head_input}
    feeds.update({f"gen_{k}": v.numpy() for k, v in gens._asdict().items()})
    return heads.run(None, feeds)[0]


def _check_patch(patch: int) -> np.ndarray:
    """A deterministic check input [1,1,P,P,P] in [0,1]: smooth blobs, like windowed CT more than noise is."""
    grid = np.linspace(-1.0, 1.0, patch, dtype=np.float32)
    z, y, x = np.meshgrid(grid, grid, grid, indexing="ij")
    image = 0.5 + 0.3 * np.sin(3 * x) * np.cos(2 * y) + 0.2 * np.exp(-((x - 0.2) ** 2 + y**2 + (z + 0.1) ** 2) / 0.1)
    return np.clip(image, 0, 1)[None, None].astype(np.float32)


def _steps(ckpt: dict[str, Any]) -> list[dict[str, Any]]:
    steps = []
    for record in ckpt.get("lineage") or []:
        cases = record.get("cases") or []
        steps.append(
            {
                "index": int(record["step"]),
                "name": record["name"],
                "kind": record.get("mode", "full"),
                "classes": list(record.get("new_classes", [])),
                "data": f"{record.get('dataset', record['name'])}: {len(cases)} cases ({', '.join(cases)})",
                "iterations": int(record.get("iterations", 0)),
            }
        )
    if not steps:
        raise ValueError("checkpoint has no lineage: cannot tell which steps made the model")
    return steps


def _training(ckpt: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    lineage = ckpt["lineage"]
    hardware = sorted({f"{r.get('device', 'unknown')} x{r.get('world_size', 1)}" for r in lineage})
    return {
        "data": "; ".join(s["data"] for s in steps),
        "hardware": ", ".join(hardware),
        "time": round(sum(float(r.get("wall_seconds_last_run", 0.0)) for r in lineage), 1),
        "seed": int(lineage[-1].get("seed", 0)),
    }


def _metrics(checkpoint: Path) -> dict[str, Any] | None:
    """Evaluation written by contseg.training.release beside the checkpoint (evaluation.json), if present."""
    path = checkpoint.parent / "evaluation.json"
    if not path.is_file():
        return None
    sets = json.loads(path.read_text()).get("sets", {})
    metrics = {}
    for name, report in sets.items():
        entry = {
            "dataset": report.get("dataset", name),
            "cases": len(report.get("cases", [])),
            "dice": report["dice"],
            "dicePostprocessed": report.get("dice_postprocessed"),
            "meanDice": report.get("mean_dice"),
            "meanDicePostprocessed": report.get("mean_dice_postprocessed"),
        }
        metrics[name] = {k: v for k, v in entry.items() if v is not None}
    return metrics


def _preprocess(ckpt: dict[str, Any], padding: str | None) -> dict[str, Any]:
    pre = ckpt.get("preprocess")
    if not pre:
        raise ValueError("checkpoint has no preprocess section (spacing, patch, overlap)")
    patch = [int(p) for p in pre["patch"]]
    if len(set(patch)) != 1:
        raise ValueError(f"backbone.onnx is exported for a cubic patch; checkpoint patch is {patch}")
    return {
        "orientation": pre.get("orientation", "RAS"),
        "spacing": [float(s) for s in pre["spacing"]],
        "window": [float(w) for w in pre.get("window_hu", [-175.0, 250.0])],
        "patch": patch,
        "overlap": float(pre["overlap"]),
        "blend": "gaussian",
        "padding": padding or pre.get("padding", "constant"),
        "foregroundCrop": {"enabled": True, "threshold": 0.0},
        "threshold": 0.5,
    }


def _parse_parent(parent: str | None) -> dict[str, str] | None:
    if parent is None:
        return None
    model_id, sep, version = parent.partition("@")
    if not sep or not model_id or not version:
        raise ValueError(f"--parent must be 'id@version', got {parent!r}")
    return {"id": model_id, "version": version}


def _write_files(
    model: ContinualSegmenter, folder: Path, patch: int, options: ReleaseOptions, embeddings: dict[str, str], steps: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Write the graphs and class files into ``folder``; returns (manifest classes, network section)."""
    report = export_backbone(model, patch, folder / BACKBONE_FILE, options.depth_stacked_convs)
    export_heads(folder / HEADS_FILE)
    network: dict[str, Any] = {
        "backbone": BACKBONE_FILE,
        "heads": HEADS_FILE,
        "opset": OPSET,
        "featureSize": int(model.feature_size),
        "parameters": report.parameter_bytes // 4,
    }
    if options.fp16:
        convert_backbone_fp16(folder / BACKBONE_FILE, folder / BACKBONE_FP16_FILE)
        network["backboneFp16"] = BACKBONE_FP16_FILE
    step_of = {name: s["index"] for s in steps for name in s["classes"]}
    classes = []
    for name in model.class_names:
        file = f"classes/{class_slug(name)}.f32"
        write_class_file(model.fold(name), folder / file)
        classes.append(manifest_class(name, step_of.get(name, steps[0]["index"]), embeddings.get(name, "clip"), file))
    return classes, network


def _parity(model: ContinualSegmenter, folder: Path, classes: list[dict[str, Any]], network: dict[str, Any], patch: int) -> dict[str, Any]:
    """Max |logit difference| (absolute and relative to the largest |logit|) and the fraction of voxels whose
    thresholded masks agree, ONNX Runtime CPU vs PyTorch on the check patch, per backbone variant."""
    image = _check_patch(patch)
    with torch.no_grad():
        reference = model(torch.from_numpy(image)).numpy()
    result: dict[str, Any] = {"input": f"smooth synthetic patch {patch}^3", "reference": f"PyTorch {torch.__version__} CPU fp32"}
    for key, file in (("fp32", network["backbone"]), ("fp16", network.get("backboneFp16"))):
        if file is None:
            continue
        logits = onnx_logits(folder, file, classes, image)
        agree = float(np.mean((logits > 0) == (reference > 0)))
        diff = float(np.abs(logits - reference).max())
        scale = max(1.0, float(np.abs(reference).max()))
        result[key] = {"maxAbsLogitDiff": diff, "maxAbsLogit": scale, "relativeDiff": diff / scale, "maskAgreement": agree}
    if result["fp32"]["relativeDiff"] > FP32_RELATIVE_TOLERANCE:
        raise RuntimeError(
            f"fp32 ONNX logits differ from PyTorch by {result['fp32']['maxAbsLogitDiff']:.3g} "
            f"({result['fp32']['relativeDiff']:.3g} of the largest |logit|, > {FP32_RELATIVE_TOLERANCE})"
        )
    return result


def export_release(options: ReleaseOptions) -> dict[str, Any]:
    """Export the checkpoint to ``options.out`` (a model folder) and register it in ``out.parent/index.json``.

    Returns the manifest. Refuses to overwrite an existing folder unless ``options.replace``.
    """
    out = Path(options.out)
    if out.exists() and not options.replace:
        raise FileExistsError(f"{out} exists; a released version is immutable (choose a new folder or pass --replace)")
    model, ckpt = load_checkpoint(options.checkpoint)
    if getattr(model, "heads_kind", "class") not in ("class", "universal"):
        raise ValueError(f"unknown heads kind {model.heads_kind!r}")
    preprocess = _preprocess(ckpt, options.padding)
    steps = _steps(ckpt)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.staging-"))
    try:
        classes, network = _write_files(model, staging, preprocess["patch"][0], options, ckpt.get("embeddings", {}), steps)
        parity = _parity(model, staging, classes, network, preprocess["patch"][0])
        paths = [network["backbone"], *([network["backboneFp16"]] if "backboneFp16" in network else []), network["heads"]]
        paths += [c["file"] for c in classes]
        manifest: dict[str, Any] = {
            "format": MANIFEST_FORMAT,
            "id": options.model_id or out.name,
            "version": options.version,
            "description": options.description,
            "license": "MIT",
            "parent": _parse_parent(options.parent),
            "steps": steps,
            "preprocess": preprocess,
            "network": network,
            "heads": heads_section(),
            "classes": classes,
            "files": file_entries(staging, paths),
            "training": _training(ckpt, steps),
            "export": {
                "torch": torch.__version__,
                "onnx": onnx.__version__,
                "onnxruntime": ort.__version__,
                "python": platform.python_version(),
                "parity": parity,
            },
        }
        metrics = _metrics(Path(options.checkpoint))
        if metrics is not None:
            manifest["metrics"] = metrics
        check_manifest(manifest)
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
        staging.chmod(0o755)  # mkdtemp makes 0700; a model folder is meant to be served
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    update_index(out.parent, manifest, out)
    return manifest
