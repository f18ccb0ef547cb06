"""Training patch sampling: the thin-slab augmentation blanks exactly the slices outside one run, reproducibly."""

from __future__ import annotations

import pytest
import torch

from contseg.data.sampling import SLAB_SLICES, RandAxialSlabd, patch_transform
from contseg.training.config import TrainConfig


def _patch(depth: int = 64) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {
        "image": torch.rand((1, 16, 16, depth), generator=g) + 0.5,
        "target": torch.ones((3, 16, 16, depth), dtype=torch.int8),
        "foreground": torch.ones((1, 16, 16, depth), dtype=torch.uint8),
    }


def _kept_slices(x: torch.Tensor) -> list[int]:
    return [z for z in range(x.shape[-1]) if bool((x[..., z] != 0).any())]


def test_slab_keeps_one_contiguous_run_and_blanks_the_rest_of_every_key() -> None:
    t = RandAxialSlabd(["image", "target", "foreground"], image_key="image", prob=1.0)
    t.set_random_state(seed=3)
    data = _patch()
    out = t(data)
    kept = _kept_slices(out["image"])
    assert SLAB_SLICES[0] <= len(kept) <= SLAB_SLICES[1]
    assert kept == list(range(kept[0], kept[-1] + 1)), "the kept slices must be one run"
    assert _kept_slices(out["target"]) == kept and _kept_slices(out["foreground"]) == kept
    assert torch.equal(out["image"][..., kept], data["image"][..., kept]), "kept slices are unchanged"
    assert bool((data["image"] != 0).all()), "the input is not modified in place"


def test_slab_is_reproducible_from_its_seed_and_off_at_probability_zero() -> None:
    runs = []
    for _ in range(2):
        t = RandAxialSlabd(["image", "target"], image_key="image", prob=1.0)
        t.set_random_state(seed=11)
        runs.append(_kept_slices(t(_patch())["image"]))
    assert runs[0] == runs[1]
    off = RandAxialSlabd(["image", "target"], image_key="image", prob=0.0)
    data = _patch()
    assert torch.equal(off(data)["image"], data["image"])


def test_slab_never_exceeds_a_shallow_patch_and_rejects_bad_bounds() -> None:
    t = RandAxialSlabd(["image"], image_key="image", prob=1.0)
    t.set_random_state(seed=5)
    for _ in range(20):
        assert 3 <= len(_kept_slices(t(_patch(depth=8))["image"])) <= 8
    with pytest.raises(ValueError, match="slab slices"):
        RandAxialSlabd(["image"], image_key="image", prob=1.0, slices=(5, 2))


def test_patch_transform_with_slabs_blanks_image_and_target_together() -> None:
    sampler = patch_transform((16, 16, 32), thin_slab_prob=1.0)
    sampler.set_random_state(seed=2)
    volume = {k: v for k, v in _patch(depth=48).items()}
    out = sampler(volume)[0]
    kept = _kept_slices(out["image"])
    assert len(kept) < 32 and _kept_slices(out["target"]) == kept
    assert TrainConfig().thin_slab_prob == 0.0, "the paper's recipe (no slabs) stays the default"
