"""Class embeddings: catalogue -> CLIP file names, one-hot codes, learned fallback."""

from __future__ import annotations

import pytest
import torch

from contseg.network import class_embedding, one_hot_embedding
from contseg.network.embeddings import clip_embeddings_path, load_clip_vectors

needs_clip = pytest.mark.skipif(not clip_embeddings_path().is_file(), reason="shared CLIP embedding file not present")


@needs_clip
def test_catalogue_clip_field_selects_the_file_vector_with_a_different_name() -> None:
    vector, source = class_embedding("inferior vena cava", "clip")
    assert source == "clip" and vector is not None and vector.shape == (512,)
    assert torch.equal(vector, load_clip_vectors(clip_embeddings_path())["inferior vena cava (postcava)"])


def test_one_hot_code_sits_at_the_catalogue_label() -> None:
    code = one_hot_embedding("liver")  # catalogue label 5
    assert code.sum().item() == 1.0 and code[4].item() == 1.0
    vector, source = class_embedding("liver", "one-hot")
    assert source == "one-hot" and torch.equal(vector, code)


def test_unknown_class_and_missing_file_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KeyError, match="not in catalogue.json"):
        one_hot_embedding("brain")
    monkeypatch.setenv("CONTSEG_CLIP_EMBEDDINGS", str(tmp_path / "missing.json"))
    with pytest.raises(FileNotFoundError, match="missing.json"):
        class_embedding("liver", "clip")
