"""The dynamic segmentation head: three 1x1x1 convolutions whose 153 parameters a class generator predicts.

Parameter layout (docs/architecture.md): w1 [8][8], w2 [8][8], w3 [1][8], b1 [8], b2 [8], b3 [1], weights [out][in].
"""

from __future__ import annotations

from typing import NamedTuple

import torch

HEAD_CHANNELS = 8
HEAD_PARAM_SIZES: tuple[int, ...] = (64, 64, 8, 8, 8, 1)
HEAD_PARAM_COUNT = sum(HEAD_PARAM_SIZES)  # 153


class HeadParams(NamedTuple):
    """One dynamic head per (batch item, class); leading dims [B, C]."""

    w1: torch.Tensor  # [B, C, 8, 8]
    w2: torch.Tensor  # [B, C, 8, 8]
    w3: torch.Tensor  # [B, C, 1, 8]
    b1: torch.Tensor  # [B, C, 8]
    b2: torch.Tensor  # [B, C, 8]
    b3: torch.Tensor  # [B, C, 1]


def split_head_params(params: torch.Tensor) -> HeadParams:
    """Split generator outputs into head weights and biases.

    Args:
        params: [B, C, 153] in the order w1, w2, w3, b1, b2, b3 (weights [out][in]).

    Returns:
        HeadParams with w1/w2 [B, C, 8, 8], w3 [B, C, 1, 8], b1/b2 [B, C, 8], b3 [B, C, 1].
    """
    if params.ndim != 3 or params.shape[-1] != HEAD_PARAM_COUNT:
        raise ValueError(f"head params must be [B, C, {HEAD_PARAM_COUNT}], got {tuple(params.shape)}")
    b, c = params.shape[:2]
    w1, w2, w3, b1, b2, b3 = torch.split(params, HEAD_PARAM_SIZES, dim=-1)
    return HeadParams(
        w1=w1.reshape(b, c, HEAD_CHANNELS, HEAD_CHANNELS),
        w2=w2.reshape(b, c, HEAD_CHANNELS, HEAD_CHANNELS),
        w3=w3.reshape(b, c, 1, HEAD_CHANNELS),
        b1=b1,
        b2=b2,
        b3=b3,
    )


def apply_dynamic_heads(head_input: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
    """Run every class's dynamic head on the shared head input as one batched (grouped) operation.

    Equivalent to, per batch item b and class c: conv1x1(8->8) -> ReLU -> conv1x1(8->8) -> ReLU -> conv1x1(8->1)
    with that (b, c)'s weights.

    Args:
        head_input: [B, 8, D, H, W].
        params: [B, C, 153] generator outputs.

    Returns:
        logits [B, C, D, H, W].
    """
    if head_input.ndim != 5 or head_input.shape[1] != HEAD_CHANNELS:
        raise ValueError(f"head_input must be [B, {HEAD_CHANNELS}, D, H, W], got {tuple(head_input.shape)}")
    if params.shape[0] != head_input.shape[0]:
        raise ValueError(f"batch mismatch: head_input {head_input.shape[0]} vs params {params.shape[0]}")
    p = split_head_params(params.to(head_input.dtype))
    b, _, d, h, w = head_input.shape
    x = head_input.reshape(b, HEAD_CHANNELS, d * h * w)  # [B, 8, N]
    h1 = torch.relu(torch.einsum("bcoi,bin->bcon", p.w1, x) + p.b1.unsqueeze(-1))  # [B, C, 8, N]
    h2 = torch.relu(torch.einsum("bcoi,bcin->bcon", p.w2, h1) + p.b2.unsqueeze(-1))  # [B, C, 8, N]
    out = torch.einsum("bcoi,bcin->bcon", p.w3, h2) + p.b3.unsqueeze(-1)  # [B, C, 1, N]
    return out.reshape(b, params.shape[1], d, h, w)
