"""The Universal-Model variant (comparison baseline): ONE controller shared by every class."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .dynamic_head import HEAD_PARAM_COUNT, apply_dynamic_heads
from .embeddings import EMBED_DIM, EmbeddingSource
from .folding import FEATURE_DIM, GENERATOR_HIDDEN, FoldedGenerator


class UniversalHeads(nn.Module):
    """``text [E] -> Linear E->256 -> ReLU``, concat with the image feature (512) -> ONE shared conv 512->153.

    Embeddings are per-class buffers ("clip"/"one-hot") or parameters ("learned"); the rest is shared, so adding
    a class adds no generator weights.
    """

    def __init__(self, embed_dim: int = EMBED_DIM) -> None:
        super().__init__()
        self.embed_dim = embed_dim
        self.text_proj = nn.Linear(embed_dim, FEATURE_DIM)
        self.controller = nn.Linear(2 * FEATURE_DIM, HEAD_PARAM_COUNT)
        self.learned = nn.ParameterDict()
        self._names: list[str] = []
        self._sources: dict[str, EmbeddingSource] = {}

    @property
    def class_names(self) -> list[str]:
        """Class names in output-channel order."""
        return list(self._names)

    def embedding_sources(self) -> dict[str, EmbeddingSource]:
        """Where each class's embedding came from: clip, one-hot or learned."""
        return dict(self._sources)

    def _buffer_name(self, index: int) -> str:
        return f"embedding_{index}"

    def embedding(self, name: str) -> torch.Tensor:
        """Class ``name``'s embedding [E]."""
        if name not in self._sources:
            raise KeyError(f"no embedding for {name!r}; model classes: {self._names}")
        if self._sources[name] == "learned":
            return self.learned[name]
        return getattr(self, self._buffer_name(self._names.index(name)))

    def add_class(self, name: str, embedding: torch.Tensor | None, source: EmbeddingSource) -> None:
        """Register a class's embedding (a learned one starts random when ``embedding`` is None)."""
        if name in self._sources:
            raise ValueError(f"class {name!r} already has a head")
        if source == "learned":
            init = embedding if embedding is not None else torch.randn(self.embed_dim) * 0.4
            self.learned[name] = nn.Parameter(init.detach().clone().float())
        else:
            if embedding is None:
                raise ValueError(f"a {source!r} embedding needs a vector")
            self.register_buffer(self._buffer_name(len(self._names)), embedding.detach().clone().float())
        self._names.append(name)
        self._sources[name] = source

    def generator_params(self, feature: torch.Tensor, classes: Sequence[str] | None = None) -> torch.Tensor:
        """feature [B, 256] -> head params [B, C, 153]."""
        names = self._names if classes is None else list(classes)
        text = torch.stack([self.embedding(n) for n in names]).to(feature.dtype)  # [C, E]
        t = torch.relu(self.text_proj(text))  # [C, 256]
        b, c = feature.shape[0], len(names)
        joint = torch.cat([feature.unsqueeze(1).expand(b, c, -1), t.unsqueeze(0).expand(b, c, -1)], dim=-1)
        return self.controller(joint)  # [B, C, 153]

    def forward(
        self, feature: torch.Tensor, head_input: torch.Tensor, classes: Sequence[str] | None = None
    ) -> torch.Tensor:
        """feature [B, 256], head_input [B, 8, D, H, W] -> logits [B, C, D, H, W]."""
        return apply_dynamic_heads(head_input, self.generator_params(feature, classes))

    def fold(self, name: str) -> FoldedGenerator:
        """Express class ``name``'s (single-layer) controller exactly in the two-layer folded generator layout.

        The controller is linear in the feature: p = A f + c with A = W[:, :256], c = W[:, 256:] t + b. Since
        relu(z) - relu(-z) = z, the hidden layer carries [A f + c; -(A f + c); 0] and w2 = [I, -I, 0], so the same
        heads graph and class-file format serve this variant.
        """
        with torch.no_grad():
            t = torch.relu(self.text_proj(self.embedding(name).float()))
            a = self.controller.weight[:, :FEATURE_DIM].float()  # [153, 256]
            c = self.controller.weight[:, FEATURE_DIM:].float() @ t + self.controller.bias.float()  # [153]
            p = HEAD_PARAM_COUNT
            w1 = torch.zeros(GENERATOR_HIDDEN, FEATURE_DIM)
            b1 = torch.zeros(GENERATOR_HIDDEN)
            w2 = torch.zeros(p, GENERATOR_HIDDEN)
            w1[:p], w1[p : 2 * p] = a, -a
            b1[:p], b1[p : 2 * p] = c, -c
            eye = torch.eye(p)
            w2[:, :p], w2[:, p : 2 * p] = eye, -eye
            return FoldedGenerator(w1=w1, b1=b1, w2=w2, b2=torch.zeros(p))
