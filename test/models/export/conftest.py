"""A randomly initialised feature-size-12 model, exported once per test session through the real CLI
(python -m contseg.export) from a real checkpoint file; several tests read the folder it writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch

from contseg.export.__main__ import main as export_main
from contseg.network import ContinualSegmenter, save_checkpoint

PATCH = 64
CLASSES = ("liver", "spleen", "liver tumour")
SHARED_CT = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ct" / "totalseg-example" / "ct.nii.gz"


@dataclass(frozen=True)
class ExportedModel:
    """The PyTorch model and the model folder the CLI wrote for it."""

    model: ContinualSegmenter
    folder: Path
    checkpoint: Path


def build_random_model(seed: int = 0) -> ContinualSegmenter:
    """Random-weight ContinualSegmenter (feature size 12) with CLASSES heads; embeddings random like CLIP vectors."""
    torch.manual_seed(seed)
    model = ContinualSegmenter(feature_size=12).eval()
    for name in CLASSES:
        model.add_class(name, torch.randn(512) * 0.4, "clip")
    return model


@pytest.fixture(scope="session")
def random_model() -> Callable[[int], ContinualSegmenter]:
    """random_model(seed): a fresh random-weight feature-size-12 model with the liver, spleen, liver tumour heads."""
    return build_random_model


def checkpoint_lineage() -> list[dict[str, object]]:
    """A lineage like contseg.training writes: organs step, then a liver-tumour step."""
    common = {"mode": "full", "iterations": 1, "seed": 0, "world_size": 1, "device": "cpu", "wall_seconds_last_run": 1.0}
    return [
        {"step": 1, "name": "organs", "dataset": "organs", "cases": ["a", "b"], "new_classes": ["liver", "spleen"], **common},
        {"step": 2, "name": "liver-tumour", "dataset": "tumours", "cases": ["c"], "new_classes": ["liver tumour"], **common},
    ]


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> ExportedModel:
    """Run `python -m contseg.export --fp16` on a saved random checkpoint (a 64^3 patch): about 2-4 minutes."""
    root = tmp_path_factory.mktemp("export")
    model = build_random_model()
    checkpoint = root / "final.pt"
    preprocess = {"spacing": (3.0, 3.0, 3.0), "patch": (PATCH,) * 3, "overlap": 0.25, "window_hu": [-175.0, 250.0], "orientation": "RAS"}
    save_checkpoint(checkpoint, model, lineage=checkpoint_lineage(), preprocess=preprocess, embeddings_kind="clip")
    folder = root / "registry" / "test-model"
    code = export_main(["--checkpoint", str(checkpoint), "--out", str(folder), "--version", "0.1.0", "--fp16", "--description", "random test model"])
    assert code == 0, "the export CLI failed"
    return ExportedModel(model=model, folder=folder, checkpoint=checkpoint)


def windowed(hu: np.ndarray) -> np.ndarray:
    """HU clipped to [-175, 250] and scaled to [0, 1] (the manifest's window)."""
    return ((np.clip(hu, -175.0, 250.0) + 175.0) / 425.0).astype(np.float32)


@pytest.fixture(scope="session")
def real_ct_patch() -> np.ndarray:
    """A [1, 1, 64, 64, 64] windowed patch from the centre of the real CT in /work/shared (skips without it)."""
    if not SHARED_CT.is_file():
        pytest.skip(f"real CT not available: {SHARED_CT} is absent (../shared is not beside this checkout)")
    volume = np.asarray(nib.load(str(SHARED_CT)).dataobj, dtype=np.float32)
    starts = [(s - PATCH) // 2 for s in volume.shape]
    crop = volume[tuple(slice(a, a + PATCH) for a in starts)]
    return windowed(crop)[None, None]
