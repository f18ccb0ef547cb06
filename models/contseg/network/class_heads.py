"""One generator per class (the paper's design): each class turns the image feature into its own dynamic head."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .dynamic_head import HEAD_PARAM_COUNT, apply_dynamic_heads
from .embeddings import EMBED_DIM, EmbeddingSource
from .folding import FEATURE_DIM, GENERATOR_HIDDEN, FoldedGenerator, fold_embedding

# Learned embeddings start at about the scale of a raw CLIP ViT-B/32 text vector's entries.
_LEARNED_INIT_STD = 0.4


class ClassGenerator(nn.Module):
    """``concat[feature 256, embedding E] -> 1x1x1 conv (256+E)->512 -> ReLU -> 1x1x1 conv 512->153``.

    The convolutions act on a 1x1x1 map, so they are stored as Linear layers (same weights, [out][in]).
    A "clip" or "one-hot" embedding is a fixed buffer; a "learned" one is a trainable parameter.
    """

    def __init__(self, embedding: torch.Tensor | None, source: EmbeddingSource, embed_dim: int = EMBED_DIM) -> None:
        super().__init__()
        self.source: EmbeddingSource = source
        if source == "learned":
            init = embedding if embedding is not None else torch.randn(embed_dim) * _LEARNED_INIT_STD
            self.embedding = nn.Parameter(init.detach().clone().float())
        else:
            if embedding is None:
                raise ValueError(f"a {source!r} embedding needs a vector")
            self.register_buffer("embedding", embedding.detach().clone().float())
        if self.embedding.shape != (embed_dim,):
            raise ValueError(f"embedding must be [{embed_dim}], got {tuple(self.embedding.shape)}")
        self.layer1 = nn.Linear(FEATURE_DIM + embed_dim, GENERATOR_HIDDEN)
        self.layer2 = nn.Linear(GENERATOR_HIDDEN, HEAD_PARAM_COUNT)

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        """feature [B, 256] -> head params [B, 153]."""
        e = self.embedding.to(feature.dtype).expand(feature.shape[0], -1)
        return self.layer2(torch.relu(self.layer1(torch.cat([feature, e], dim=1))))

    def fold(self) -> FoldedGenerator:
        """This generator with its embedding folded into the first bias."""
        return fold_embedding(self.layer1.weight, self.layer1.bias, self.layer2.weight, self.layer2.bias, self.embedding)


class ClassHeads(nn.Module):
    """Per-class generators keyed by class name, in the order classes were added (the output channel order)."""

    def __init__(self, embed_dim: int = EMBED_DIM) -> None:
        super().__init__()
        self.embed_dim = embed_dim
        self.generators = nn.ModuleDict()

    @property
    def class_names(self) -> list[str]:
        """Class names in output-channel order."""
        return list(self.generators.keys())

    def embedding_sources(self) -> dict[str, EmbeddingSource]:
        """Where each class's embedding came from: clip, one-hot or learned."""
        return {name: gen.source for name, gen in self.generators.items()}

    def add_class(self, name: str, embedding: torch.Tensor | None, source: EmbeddingSource) -> ClassGenerator:
        """Add a class (a continual step's new class) with a freshly initialised generator; returns it."""
        if name in self.generators:
            raise ValueError(f"class {name!r} already has a head")
        if not name or "." in name:
            raise ValueError(f"class name {name!r} must be non-empty and contain no '.'")
        generator = ClassGenerator(embedding, source, self.embed_dim)
        self.generators[name] = generator
        return generator

    def _select(self, classes: Sequence[str] | None) -> list[str]:
        names = self.class_names if classes is None else list(classes)
        unknown = [n for n in names if n not in self.generators]
        if unknown:
            raise KeyError(f"no head for {unknown}; model classes: {self.class_names}")
        if not names:
            raise ValueError("the model has no classes yet (add_class first)")
        return names

    def generator_params(self, feature: torch.Tensor, classes: Sequence[str] | None = None) -> torch.Tensor:
        """feature [B, 256] -> head params [B, C, 153] for ``classes`` (default: all, in order)."""
        return torch.stack([self.generators[n](feature) for n in self._select(classes)], dim=1)

    def forward(
        self, feature: torch.Tensor, head_input: torch.Tensor, classes: Sequence[str] | None = None
    ) -> torch.Tensor:
        """feature [B, 256], head_input [B, 8, D, H, W] -> logits [B, C, D, H, W]."""
        return apply_dynamic_heads(head_input, self.generator_params(feature, classes))

    def fold(self, name: str) -> FoldedGenerator:
        """Class ``name``'s generator folded for export."""
        return self.generators[self._select([name])[0]].fold()
