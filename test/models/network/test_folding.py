"""Folding a class's embedding into the first bias gives exactly the unfolded heads' outputs."""

from __future__ import annotations

import pytest
import torch

from contseg.network import ClassHeads, FoldedHeads, UniversalHeads, fold_embedding, stack_folded


def _heads(kind: str) -> ClassHeads | UniversalHeads:
    torch.manual_seed(1)
    heads = ClassHeads() if kind == "class" else UniversalHeads()
    heads.add_class("liver", torch.randn(512) * 0.3, "clip")
    heads.add_class("spleen", torch.zeros(512).index_fill_(0, torch.tensor([0]), 1.0), "one-hot")
    heads.add_class("liver tumour", None, "learned")
    return heads


def test_fold_embedding_equals_the_concatenated_first_layer() -> None:
    torch.manual_seed(2)
    w1, b1 = torch.randn(512, 768), torch.randn(512)
    w2, b2 = torch.randn(153, 512), torch.randn(153)
    e, f = torch.randn(512), torch.randn(256)
    folded = fold_embedding(w1, b1, w2, b2, e)
    assert folded.w1.shape == (512, 256) and folded.b1.shape == (512,)
    assert folded.w2.shape == (153, 512) and folded.b2.shape == (153,)
    torch.testing.assert_close(folded.w1 @ f + folded.b1, w1 @ torch.cat([f, e]) + b1, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("kind", ["class", "universal"])
def test_folded_heads_reproduce_unfolded_logits_for_any_class_subset(kind: str) -> None:
    heads = _heads(kind)
    torch.manual_seed(3)
    feature, head_input = torch.randn(2, 256), torch.randn(2, 8, 3, 4, 5)
    subset = ["liver tumour", "liver"]
    expected = heads(feature, head_input, subset)
    folded = stack_folded([heads.fold(name) for name in subset])
    got = FoldedHeads()(feature, head_input, *folded)
    assert got.shape == (2, 2, 3, 4, 5)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_adding_a_class_twice_or_an_unknown_class_is_refused() -> None:
    heads = _heads("class")
    with pytest.raises(ValueError, match="already has a head"):
        heads.add_class("liver", torch.zeros(512), "clip")
    with pytest.raises(KeyError, match="no head for"):
        heads(torch.zeros(1, 256), torch.zeros(1, 8, 1, 1, 1), ["pancreas"])
