"""Post-processing: the largest connected component per organ; tumour voxels only inside their organ."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from scipy import ndimage

from ..network.embeddings import load_catalogue

_CONNECTIVITY = ndimage.generate_binary_structure(3, 3)  # 26-connectivity


def largest_component(mask: np.ndarray) -> np.ndarray:
    """bool [D, H, W] -> bool [D, H, W] keeping only the largest 26-connected component (empty stays empty)."""
    labelled, count = ndimage.label(mask, structure=_CONNECTIVITY)
    if count <= 1:
        return mask.copy()
    sizes = np.bincount(labelled.ravel())
    sizes[0] = 0
    return labelled == int(sizes.argmax())


def postprocess(masks: torch.Tensor, classes: Sequence[str]) -> torch.Tensor:
    """masks bool [C, D, H, W] in ``classes`` order -> post-processed bool [C, D, H, W].

    Classes that are ``partOf`` another (liver tumour) are not reduced to one component (lesions are many) but are
    kept only where their parent organ's post-processed mask is set, when that organ is among ``classes``.
    """
    catalogue = load_catalogue()
    arrays = masks.cpu().numpy().astype(bool)
    out = np.zeros_like(arrays)
    parents = {name: catalogue[name].part_of if name in catalogue else None for name in classes}
    for i, name in enumerate(classes):
        if parents[name] is None:
            out[i] = largest_component(arrays[i])
    for i, name in enumerate(classes):
        parent = parents[name]
        if parent is not None:
            out[i] = arrays[i] & out[list(classes).index(parent)] if parent in classes else arrays[i]
    return torch.from_numpy(out)
