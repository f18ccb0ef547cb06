"""Folding a class's constant text embedding into its generator's first bias, and the heads that run folded weights.

``W1 [f; e] + b1 = W1[:, :256] f + (W1[:, 256:] e + b1)`` (docs/architecture.md): the browser's heads graph and
the per-class ``classes/<slug>.f32`` files use the folded form, so no embedding ships.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from .dynamic_head import HEAD_PARAM_COUNT, apply_dynamic_heads

FEATURE_DIM = 256
GENERATOR_HIDDEN = 512


class FoldedGenerator(NamedTuple):
    """One class's generator with its embedding folded in (the layout of a ``classes/<slug>.f32`` file)."""

    w1: torch.Tensor  # [512, 256]
    b1: torch.Tensor  # [512]
    w2: torch.Tensor  # [153, 512]
    b2: torch.Tensor  # [153]


def fold_embedding(
    weight1: torch.Tensor, bias1: torch.Tensor, weight2: torch.Tensor, bias2: torch.Tensor, embedding: torch.Tensor
) -> FoldedGenerator:
    """Fold ``embedding`` into the first bias of a generator ``concat[f, e] -> W1 -> ReLU -> W2``.

    Args:
        weight1: [512, 256 + E]; bias1: [512]; weight2: [153, 512]; bias2: [153]; embedding: [E].

    Returns:
        FoldedGenerator (w1 [512, 256], b1 [512], w2 [153, 512], b2 [153]), detached float32 copies.
    """
    e = embedding.shape[-1]
    if weight1.shape != (GENERATOR_HIDDEN, FEATURE_DIM + e):
        raise ValueError(f"weight1 must be [{GENERATOR_HIDDEN}, {FEATURE_DIM + e}], got {tuple(weight1.shape)}")
    if weight2.shape != (HEAD_PARAM_COUNT, GENERATOR_HIDDEN):
        raise ValueError(f"weight2 must be [{HEAD_PARAM_COUNT}, {GENERATOR_HIDDEN}], got {tuple(weight2.shape)}")
    with torch.no_grad():
        w1 = weight1.detach().float()
        folded_b1 = w1[:, FEATURE_DIM:] @ embedding.detach().float() + bias1.detach().float()
        return FoldedGenerator(
            w1=w1[:, :FEATURE_DIM].clone(),
            b1=folded_b1,
            w2=weight2.detach().float().clone(),
            b2=bias2.detach().float().clone(),
        )


def stack_folded(generators: list[FoldedGenerator]) -> FoldedGenerator:
    """Stack per-class folded generators along a new class axis: w1 [C,512,256], b1 [C,512], w2 [C,153,512], b2 [C,153]."""
    if not generators:
        raise ValueError("no generators to stack")
    return FoldedGenerator(*(torch.stack(parts) for parts in zip(*generators)))


def folded_generator_params(
    feature: torch.Tensor, gen_w1: torch.Tensor, gen_b1: torch.Tensor, gen_w2: torch.Tensor, gen_b2: torch.Tensor
) -> torch.Tensor:
    """Dynamic-head parameters from folded generators.

    Args:
        feature: [B, 256]; gen_w1: [C, 512, 256]; gen_b1: [C, 512]; gen_w2: [C, 153, 512]; gen_b2: [C, 153].

    Returns:
        params [B, C, 153].
    """
    hidden = torch.relu(torch.einsum("cjk,bk->bcj", gen_w1, feature) + gen_b1)  # [B, C, 512]
    return torch.einsum("cpj,bcj->bcp", gen_w2, hidden) + gen_b2  # [B, C, 153]


class FoldedHeads(nn.Module):
    """The heads graph the browser runs: any number of classes given as stacked folded generator weights."""

    def forward(
        self,
        feature: torch.Tensor,
        head_input: torch.Tensor,
        gen_w1: torch.Tensor,
        gen_b1: torch.Tensor,
        gen_w2: torch.Tensor,
        gen_b2: torch.Tensor,
    ) -> torch.Tensor:
        """feature [B,256], head_input [B,8,D,H,W], gen_* as in folded_generator_params -> logits [B,C,D,H,W]."""
        params = folded_generator_params(feature, gen_w1, gen_b1, gen_w2, gen_b2)
        return apply_dynamic_heads(head_input, params)
