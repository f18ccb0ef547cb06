"""Checkpoint file format shared by training, evaluation and the ONNX export.

A checkpoint is a ``torch.save`` dict:
  format: "contseg-checkpoint/1"
  model: {feature_size, heads_kind, embed_dim}
  classes: [name, ...] in output-channel order
  embeddings: {name: "clip" | "one-hot" | "learned"}
  embeddings_kind: "clip" | "one-hot" (how new classes got their vectors)
  lineage: [{step, name, dataset, new_classes, mode, iterations, seed, ...}, ...] oldest first
  state_dict: the ContinualSegmenter's state dict
  preprocess: {spacing, window, patch, ...}
  training: optional resume state (optimizer, scheduler, iteration, rng) - absent in a final checkpoint
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from .segmenter import ContinualSegmenter

CHECKPOINT_FORMAT = "contseg-checkpoint/1"


def checkpoint_metadata(model: ContinualSegmenter) -> dict[str, Any]:
    """The model-describing part of a checkpoint."""
    return {
        "format": CHECKPOINT_FORMAT,
        "model": {"feature_size": model.feature_size, "heads_kind": model.heads_kind, "embed_dim": model.embed_dim},
        "classes": model.class_names,
        "embeddings": model.heads.embedding_sources(),
    }


def save_checkpoint(path: Path, model: ContinualSegmenter, **extra: Any) -> None:
    """Write atomically (temp file + rename) so an interrupted save never leaves a half checkpoint."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {**checkpoint_metadata(model), **extra, "state_dict": model.state_dict()}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(payload, tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a checkpoint is an ordinary shared file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_from_metadata(meta: dict[str, Any]) -> ContinualSegmenter:
    """An untrained ContinualSegmenter with the checkpoint's architecture and class heads (weights not loaded)."""
    cfg = meta["model"]
    model = ContinualSegmenter(
        feature_size=int(cfg["feature_size"]), heads_kind=cfg["heads_kind"], embed_dim=int(cfg["embed_dim"])
    )
    for name in meta["classes"]:
        source = meta["embeddings"][name]
        # placeholder vector; load_state_dict overwrites it with the stored embedding
        model.add_class(name, torch.zeros(model.embed_dim), source)
    return model


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> tuple[ContinualSegmenter, dict[str, Any]]:
    """Rebuild the model from a checkpoint; returns (model in eval mode, the full checkpoint dict)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    ckpt = torch.load(path, map_location=map_location, weights_only=False)
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a {CHECKPOINT_FORMAT} checkpoint")
    model = build_from_metadata(ckpt)
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    return model, ckpt
