"""Multi-label targets: liver includes liver tumour, classes a dataset does not annotate are -1."""

from __future__ import annotations

import torch

from contseg.data import catalogue_class_map, encode_targets, totalseg_class_map
from contseg.data.class_maps import restrict_class_map


def _label() -> torch.Tensor:
    lab = torch.zeros(1, 2, 2, 2, dtype=torch.int16)
    lab[0, 0, 0, 0] = 5  # liver
    lab[0, 0, 0, 1] = 17  # liver tumour
    lab[0, 1, 1, 1] = 1  # spleen
    return lab


def test_liver_target_is_liver_union_tumour_and_tumour_only_the_lesion() -> None:
    t = encode_targets(_label(), ["liver", "liver tumour", "spleen"], catalogue_class_map())
    assert t.dtype == torch.int8 and t.shape == (3, 2, 2, 2)
    assert t[0].sum().item() == 2 and t[0, 0, 0, 1].item() == 1
    assert t[1].sum().item() == 1 and t[1, 0, 0, 1].item() == 1
    assert t[2, 1, 1, 1].item() == 1 and t[2].sum().item() == 1


def test_classes_missing_from_the_class_map_are_minus_one_everywhere() -> None:
    only_tumour = restrict_class_map(catalogue_class_map(), ("liver tumour",))
    t = encode_targets(_label(), ["liver", "liver tumour"], only_tumour)
    assert bool((t[0] == -1).all())
    assert t[1].sum().item() == 1


def test_totalseg_numberings_follow_the_catalogue() -> None:
    v1, v2 = totalseg_class_map("v1"), totalseg_class_map("v2")
    assert v1["aorta"] == (7,) and v2["aorta"] == (52,)
    assert v1["duodenum"] == (56,) and v2["pancreas"] == (7,)
    assert "liver tumour" not in v1
