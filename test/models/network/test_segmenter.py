"""ContinualSegmenter: backbone outputs, input checks, checkpoint round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from contseg.network import ContinualSegmenter, load_checkpoint, save_checkpoint
from contseg.network.segmenter import norm_groups


@pytest.fixture(scope="module")
def model() -> ContinualSegmenter:
    torch.manual_seed(0)
    m = ContinualSegmenter(feature_size=12)
    m.add_class("liver", torch.randn(512), "clip")
    m.add_class("liver tumour", None, "learned")
    return m.eval()


def test_backbone_gives_a_256_feature_and_an_8_channel_full_resolution_head_input(model: ContinualSegmenter) -> None:
    with torch.no_grad():
        feature, head_input = model.backbone_forward(torch.rand(1, 1, 64, 64, 32))
        logits = model.heads(feature, head_input)
    assert feature.shape == (1, 256)
    assert head_input.shape == (1, 8, 64, 64, 32)
    assert logits.shape == (1, 2, 64, 64, 32)


def test_inputs_that_are_not_multiples_of_32_are_refused(model: ContinualSegmenter) -> None:
    with pytest.raises(ValueError, match="multiple of 32"):
        model.backbone_forward(torch.rand(1, 1, 48, 64, 64))
    with pytest.raises(ValueError, match=r"\[B, 1, D, H, W\]"):
        model.backbone_forward(torch.rand(1, 2, 64, 64, 64))


def test_group_norm_uses_16_groups_when_possible_else_the_largest_divisor() -> None:
    assert norm_groups(48) == 16 and norm_groups(768) == 16
    assert norm_groups(12) == 12 and norm_groups(24) == 12


def test_checkpoint_round_trip_restores_classes_embedding_sources_and_weights(model: ContinualSegmenter, tmp_path: Path) -> None:
    path = tmp_path / "m.pt"
    save_checkpoint(path, model, lineage=[{"name": "s1"}])
    loaded, ckpt = load_checkpoint(path)
    assert loaded.class_names == ["liver", "liver tumour"]
    assert ckpt["embeddings"] == {"liver": "clip", "liver tumour": "learned"}
    assert ckpt["lineage"] == [{"name": "s1"}]
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), name
    assert not list(tmp_path.glob("*.tmp")), "the atomic save left a temporary file"


def test_loading_a_file_that_is_not_a_checkpoint_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "x.pt"
    torch.save({"weights": 1}, path)
    with pytest.raises(ValueError, match="not a contseg-checkpoint"):
        load_checkpoint(path)
