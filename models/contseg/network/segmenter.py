"""ContinualSegmenter: MONAI SwinUNETR backbone, global image feature, head input, and class heads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from monai.networks.nets import SwinUNETR
from torch import nn

from .class_heads import ClassHeads
from .dynamic_head import HEAD_CHANNELS
from .embeddings import EMBED_DIM, EmbeddingSource
from .folding import FEATURE_DIM, FoldedGenerator
from .universal_heads import UniversalHeads

HeadsKind = Literal["class", "universal"]
# SwinUNETR halves the grid five times (patch embedding + 4 merges): inputs must be multiples of 32.
SIZE_MULTIPLE = 32


def norm_groups(channels: int, preferred: int = 16) -> int:
    """GroupNorm group count: ``preferred`` (16, as the paper) when it divides ``channels``, else the largest
    divisor of ``channels`` below it (feature sizes 12 and 24 give 12 groups)."""
    return max(g for g in range(1, preferred + 1) if channels % g == 0)


class GlobalImageFeature(nn.Module):
    """Bottleneck [B, 16*fs, d, h, w] -> GroupNorm(16) -> ReLU -> global average pool -> 1x1x1 conv -> [B, 256]."""

    def __init__(self, in_channels: int, out_channels: int = FEATURE_DIM) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(norm_groups(in_channels), in_channels)
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.proj = nn.Conv3d(in_channels, out_channels, kernel_size=1)

    def forward(self, bottleneck: torch.Tensor) -> torch.Tensor:
        """bottleneck [B, 16*fs, d, h, w] -> feature [B, 256]."""
        return self.proj(self.pool(torch.relu(self.norm(bottleneck)))).flatten(1)


class HeadInputProjection(nn.Module):
    """Decoder output [B, fs, D, H, W] -> GroupNorm(16) -> ReLU -> 1x1x1 conv -> head input [B, 8, D, H, W]."""

    def __init__(self, in_channels: int, out_channels: int = HEAD_CHANNELS) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(norm_groups(in_channels), in_channels)
        self.proj = nn.Conv3d(in_channels, out_channels, kernel_size=1)

    def forward(self, decoded: torch.Tensor) -> torch.Tensor:
        """decoded [B, fs, D, H, W] -> head_input [B, 8, D, H, W]."""
        return self.proj(torch.relu(self.norm(decoded)))


class ContinualSegmenter(nn.Module):
    """Continual multi-label segmenter (the seed paper's model).

    Args:
        feature_size: SwinUNETR feature size (48 as the paper; 12 or 24 for fast tiers; a multiple of 12).
        heads_kind: "class" (one generator per class, the paper) or "universal" (one shared controller).
        embed_dim: text embedding size E (512 for CLIP ViT-B/32).

    Input: image [B, 1, D, H, W], D/H/W multiples of 32, CT windowed to [0, 1].
    """

    def __init__(self, feature_size: int = 48, heads_kind: HeadsKind = "class", embed_dim: int = EMBED_DIM) -> None:
        super().__init__()
        if feature_size % 12 != 0:
            raise ValueError(f"feature_size must be a multiple of 12 (SwinUNETR heads 3,6,12,24), got {feature_size}")
        self.feature_size = feature_size
        self.heads_kind: HeadsKind = heads_kind
        self.embed_dim = embed_dim
        swin = SwinUNETR(
            in_channels=1,
            out_channels=1,
            feature_size=feature_size,
            depths=(2, 2, 2, 2),
            num_heads=(3, 6, 12, 24),
            normalize=True,
            spatial_dims=3,
        )
        swin.out = nn.Identity()  # the class heads replace SwinUNETR's output layer
        self.swin = swin
        self.global_feature = GlobalImageFeature(16 * feature_size)
        self.head_input = HeadInputProjection(feature_size)
        if heads_kind == "class":
            self.heads: ClassHeads | UniversalHeads = ClassHeads(embed_dim)
        elif heads_kind == "universal":
            self.heads = UniversalHeads(embed_dim)
        else:
            raise ValueError(f"heads_kind must be 'class' or 'universal', got {heads_kind!r}")

    @property
    def class_names(self) -> list[str]:
        """Output channel order."""
        return self.heads.class_names

    def add_class(self, name: str, embedding: torch.Tensor | None, source: EmbeddingSource) -> None:
        """Add a class head (a continual step's new class)."""
        self.heads.add_class(name, embedding, source)

    def fold(self, name: str) -> FoldedGenerator:
        """Class ``name``'s generator with its embedding folded in (export layout)."""
        return self.heads.fold(name)

    def backbone_parameters(self) -> list[nn.Parameter]:
        """Everything except the class heads (frozen in a head-only step)."""
        return [p for n, p in self.named_parameters() if not n.startswith("heads.")]

    def backbone_forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """image [B, 1, D, H, W] -> (feature [B, 256], head_input [B, 8, D, H, W]); the part backbone.onnx holds."""
        if image.ndim != 5 or image.shape[1] != 1:
            raise ValueError(f"image must be [B, 1, D, H, W], got {tuple(image.shape)}")
        if any(s % SIZE_MULTIPLE for s in image.shape[2:]):
            raise ValueError(f"spatial size {tuple(image.shape[2:])} must be a multiple of {SIZE_MULTIPLE}")
        s = self.swin
        hidden = s.swinViT(image, s.normalize)
        enc0 = s.encoder1(image)
        enc1 = s.encoder2(hidden[0])
        enc2 = s.encoder3(hidden[1])
        enc3 = s.encoder4(hidden[2])
        dec4 = s.encoder10(hidden[4])  # bottleneck [B, 16*fs, D/32, H/32, W/32]
        dec3 = s.decoder5(dec4, hidden[3])
        dec2 = s.decoder4(dec3, enc3)
        dec1 = s.decoder3(dec2, enc2)
        dec0 = s.decoder2(dec1, enc1)
        decoded = s.decoder1(dec0, enc0)  # [B, fs, D, H, W]
        return self.global_feature(dec4), self.head_input(decoded)

    def forward(self, image: torch.Tensor, classes: Sequence[str] | None = None) -> torch.Tensor:
        """image [B, 1, D, H, W] -> logits [B, C, D, H, W] for ``classes`` (default: all, in class_names order)."""
        feature, head_input = self.backbone_forward(image)
        return self.heads(feature, head_input, classes)
