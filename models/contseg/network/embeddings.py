"""Class text embeddings: precomputed CLIP vectors, the one-hot ablation, and the catalogue's class names.

The CLIP file lives outside the repository (``../shared/data/embeddings/clip-vitb32-38class.json`` beside the
checkout, or ``$CONTSEG_CLIP_EMBEDDINGS``); it is read, never copied.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import torch

EmbeddingKind = Literal["clip", "one-hot"]
EmbeddingSource = Literal["clip", "one-hot", "learned"]

EMBED_DIM = 512
CATALOGUE_PATH = Path(__file__).resolve().parents[1] / "catalogue.json"
_REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_CLIP_PATH = _REPO_ROOT.parent / "shared" / "data" / "embeddings" / "clip-vitb32-38class.json"


@dataclass(frozen=True)
class CatalogueClass:
    """One entry of models/contseg/catalogue.json that the model pipeline needs."""

    label: int
    name: str
    clip: str | None
    part_of: str | None
    totalseg_v1: int | None
    totalseg_v2: int | None


@lru_cache(maxsize=4)
def load_catalogue(path: Path = CATALOGUE_PATH) -> dict[str, CatalogueClass]:
    """Catalogue classes keyed by name, in label order."""
    entries = json.loads(Path(path).read_text())["classes"]
    return {
        e["name"]: CatalogueClass(
            label=int(e["label"]),
            name=e["name"],
            clip=e.get("clip"),
            part_of=e.get("partOf"),
            totalseg_v1=e.get("totalseg_v1"),
            totalseg_v2=e.get("totalseg_v2"),
        )
        for e in sorted(entries, key=lambda e: e["label"])
    }


def catalogue_class(name: str) -> CatalogueClass:
    """The catalogue entry for ``name``; a clear error names the unknown class."""
    catalogue = load_catalogue()
    if name not in catalogue:
        raise KeyError(f"class {name!r} is not in {CATALOGUE_PATH.name}; known: {', '.join(catalogue)}")
    return catalogue[name]


def clip_embeddings_path() -> Path:
    """Where the CLIP embedding file is read from ($CONTSEG_CLIP_EMBEDDINGS overrides the default)."""
    return Path(os.environ.get("CONTSEG_CLIP_EMBEDDINGS", DEFAULT_CLIP_PATH))


@lru_cache(maxsize=4)
def load_clip_vectors(path: Path) -> dict[str, torch.Tensor]:
    """CLIP text vectors keyed by the file's class names; each [512] float32."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"CLIP embedding file not found: {path} (set CONTSEG_CLIP_EMBEDDINGS)")
    data = json.loads(Path(path).read_text())
    vectors = {c["name"]: torch.tensor(c["vector"], dtype=torch.float32) for c in data["classes"]}
    for name, v in vectors.items():
        if v.shape != (EMBED_DIM,):
            raise ValueError(f"{path}: vector for {name!r} has shape {tuple(v.shape)}, expected ({EMBED_DIM},)")
    return vectors


def clip_embedding(name: str, path: Path | None = None) -> torch.Tensor | None:
    """The CLIP vector [512] of catalogue class ``name``, or None when the catalogue gives it no CLIP name."""
    clip_name = catalogue_class(name).clip
    if clip_name is None:
        return None
    vectors = load_clip_vectors(Path(path) if path is not None else clip_embeddings_path())
    if clip_name not in vectors:
        raise KeyError(f"catalogue maps {name!r} to CLIP name {clip_name!r}, which the embedding file lacks")
    return vectors[clip_name].clone()


def one_hot_embedding(name: str, dim: int = EMBED_DIM) -> torch.Tensor:
    """One-hot ablation code [dim]: a 1 at the class's catalogue label - 1 (stable across continual steps)."""
    label = catalogue_class(name).label
    if label > dim:
        raise ValueError(f"one-hot dimension {dim} too small for label {label} of {name!r}")
    code = torch.zeros(dim)
    code[label - 1] = 1.0
    return code


def class_embedding(name: str, kind: EmbeddingKind, path: Path | None = None) -> tuple[torch.Tensor | None, EmbeddingSource]:
    """The embedding a new class gets under ``kind``.

    Returns (vector [512] or None, source). None with source "learned" means the class has no CLIP vector and
    its generator must learn one (ClassHeads initialises it).
    """
    if kind == "one-hot":
        return one_hot_embedding(name), "one-hot"
    if kind == "clip":
        vector = clip_embedding(name, path)
        return (vector, "clip") if vector is not None else (None, "learned")
    raise ValueError(f"unknown embedding kind {kind!r}; expected 'clip' or 'one-hot'")
