"""Multi-label targets [C, D, H, W] from a native label map: 1 inside, 0 outside, -1 "not annotated here"."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..network.embeddings import load_catalogue
from .cases import ClassMap

NOT_ANNOTATED = -1


def target_values(name: str, class_map: ClassMap) -> tuple[int, ...] | None:
    """Native values that make class ``name`` positive: its own plus those of annotated classes that are ``partOf``
    it (the liver target is liver ∪ liver tumour). None when this label map does not annotate ``name``."""
    if name not in class_map:
        return None
    parts = [c.name for c in load_catalogue().values() if c.part_of == name and c.name in class_map]
    return tuple(sorted({*class_map[name], *(v for p in parts for v in class_map[p])}))


def encode_targets(label: torch.Tensor, classes: Sequence[str], class_map: ClassMap) -> torch.Tensor:
    """label [1, D, H, W] native integers -> target int8 [C, D, H, W] for ``classes`` (channel order kept)."""
    if label.ndim != 4 or label.shape[0] != 1:
        raise ValueError(f"label must be [1, D, H, W], got {tuple(label.shape)}")
    plain = torch.as_tensor(label).as_subclass(torch.Tensor)[0]
    target = torch.full((len(classes), *plain.shape), NOT_ANNOTATED, dtype=torch.int8)
    for i, name in enumerate(classes):
        values = target_values(name, class_map)
        if values is not None:
            target[i] = torch.isin(plain, torch.tensor(values, dtype=plain.dtype)).to(torch.int8)
    return target
