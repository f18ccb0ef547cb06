"""Label numbers of the phantom's structures, read from the class catalogue (models/contseg/catalogue.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class PhantomLabels:
    """Catalogue label numbers of every structure the phantom draws (one attribute per catalogue class name)."""

    spleen: int
    right_kidney: int
    left_kidney: int
    gallbladder: int
    liver: int
    stomach: int
    aorta: int
    inferior_vena_cava: int
    portal_and_splenic_vein: int
    pancreas: int
    right_adrenal_gland: int
    left_adrenal_gland: int
    duodenum: int
    colon: int
    small_bowel: int
    liver_tumour: int

    def names(self) -> dict[int, str]:
        """Label number -> catalogue class name, for every label the phantom writes."""
        return {number: field.replace("_", " ") for field, number in vars(self).items()}


@lru_cache(maxsize=1)
def phantom_labels() -> PhantomLabels:
    """Load the catalogue and look up the phantom's classes by name; fails naming any class the catalogue lacks."""
    text = resources.files("contseg").joinpath("catalogue.json").read_text(encoding="utf-8")
    by_name = {entry["name"]: int(entry["label"]) for entry in json.loads(text)["classes"]}
    wanted = [name.replace("_", " ") for name in PhantomLabels.__dataclass_fields__]
    missing = [name for name in wanted if name not in by_name]
    if missing:
        raise KeyError(f"catalogue.json has no class named {', '.join(repr(m) for m in missing)}")
    out_of_range = [name for name in wanted if not 0 < by_name[name] < 256]
    if out_of_range:
        raise ValueError(f"catalogue labels of {out_of_range} do not fit a uint8 label map (1..255)")
    return PhantomLabels(*(by_name[name] for name in wanted))
